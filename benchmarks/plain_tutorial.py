"""The tutorial's job in plain PyTorch: the baseline of the whole-process benchmark.

Imports, data, 100 full-batch epochs with test evaluation every epoch, save the state_dict.
Usage: python benchmarks/plain_tutorial.py [EPOCHS] [OUTPUT.pth]
"""

import sys

import torch
from sklearn.datasets import make_blobs
from sklearn.model_selection import train_test_split
from torch import nn


class BlobModel(nn.Module):
    def __init__(self, input_features, output_features, hidden_units=8):
        super().__init__()
        self.linear_layer_stack = nn.Sequential(
            nn.Linear(input_features, hidden_units),
            nn.ReLU(),
            nn.Linear(hidden_units, hidden_units),
            nn.ReLU(),
            nn.Linear(hidden_units, output_features),
        )

    def forward(self, x):
        return self.linear_layer_stack(x)


def main() -> None:
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    output = sys.argv[2] if len(sys.argv) > 2 else "plain_model.pth"
    x, y = make_blobs(n_samples=1000, n_features=2, centers=4, cluster_std=2, random_state=42)
    x = torch.from_numpy(x).type(torch.float)
    y = torch.from_numpy(y).type(torch.long)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=42)
    torch.manual_seed(42)
    model = BlobModel(2, 4)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(epochs):
        model.train()
        logits = model(x_train)
        loss = loss_fn(logits, y_train)
        acc = (logits.argmax(dim=1) == y_train).float().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.inference_mode():
            test_logits = model(x_test)
            test_loss = loss_fn(test_logits, y_test)
            test_acc = (test_logits.argmax(dim=1) == y_test).float().mean()
    print(f"train loss {loss.item():.5f} acc {acc.item():.4f} test loss {test_loss.item():.5f} acc {test_acc.item():.4f}")
    torch.save(model.state_dict(), output)


if __name__ == "__main__":
    main()
