"""Tables the tester found mishandled: each is read whole, or refused in one exact line, in training and predicting alike."""

from __future__ import annotations

import os
import shlex
import threading
from pathlib import Path

import pytest
import torch
from conftest import one_error

from blobclf import optionnames
from blobclf.errors import UserError
from blobclf.points import read_points
from blobclf.predictions import prediction_rows
from blobclf.table import count_lines, read_header, read_table
from blobclf.tablecells import Header
from blobclf.tablehints import features_option, names_option, unreadable

pytestmark = pytest.mark.usefixtures("cli_messages")  # refusals pin the command line's text

ROWS = "".join(f"{i},{i % 4},{'xy'[i % 2]}\n" for i in range(6))  # lines 2-7 of a table "a,b,kind"
MISSING_A = "column 'a' has 1 missing value (first on line {}); fill them in or remove those rows, or leave those rows out with --data.missing drop"


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(UserError) as error:
        call(*args, **kwargs)
    return str(error.value)


# --- training tables: read whole, or refused in one line ----------------------------------------------

def test_a_header_longer_than_the_sniffed_sample_is_read_whole(tmp_path):
    names = [f"feature_number_{i:05d}" for i in range(4000)]  # a 84 KB header: longer than the 64 KiB sample
    values = ",".join(["1.5"] * 4000)
    path = write(tmp_path / "t.csv", ",".join(names) + ",kind\n" + f"{values},x\n{values},y\n")
    table = read_table(path, "kind")
    assert table.feature_names == names and table.features.shape == (2, 4000)
    assert table.labels.tolist() == [0, 1]
    assert read_header(write(tmp_path / "s.csv", ";".join(names) + ";kind\n")).delimiter == ";"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # every row one numeric cell longer than the header
        ("a,b,kind\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]},{i * 10}\n" for i in range(20)),
         "t.csv:2: 4 columns, expected 3 as in the header"),
        ("a,b,kind\n" + ROWS + ",,\n7,1,x\n", "t.csv: " + MISSING_A.format(8)),
        ("a,b,kind\n" + ROWS + "1_000,1,x\n",
         "t.csv:8: feature column 'a' holds '1_000', not a number; write it as '1000' (ASCII digits 0-9, no '_')"),
        ("a,b,kind\n" + ROWS + "\u0661\u0662,1,x\n",
         "t.csv:8: feature column 'a' holds '\u0661\u0662', not a number; write it as '12' (ASCII digits 0-9, no '_')"),
        ("a,b,kind\n" + ROWS + "\uff11,1,x\n",
         "t.csv:8: feature column 'a' holds '\uff11', not a number; write it as '1' (ASCII digits 0-9, no '_')"),
        (",a,b,kind\n0,1,2,x\n1,3,4,y\n",
         "t.csv:1: column 1 has no name (a saved index?); name it, or leave it out: --data.features '[a,b]'"),
        ("a,b,kind\n" + ROWS + '"7,1,x\n8,1,y\n9,1,x\n',
         "t.csv:8: a quoted cell opens on this line and is not closed (the row runs on to line 10); close the quote"),
        ("a,b,kind\n" + ROWS + "   \n7,q,x\n",
         ("t.csv:9: feature column 'b' holds 'q', not a number; correct the cell if it is a typo (the column's "
          "earlier rows hold numbers); to leave the column out, list the features: --data.features '[a]'")),
    ],
    ids=["extra-column", "row-of-empty-cells", "underscore", "arabic-indic-digits", "fullwidth-digit", "index-column",
         "unclosed-quote", "blank-line-then-text"],
)
def test_tables_numpy_could_not_read_are_refused_in_one_line(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", content)
    assert refused(read_table, "t.csv", "kind") == message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # an Excel export where ',' is the decimal point: the option that reads the whole file (test_table_decimal.py)
        ("a;b;kind\r\n5,1;3;x\r\n",
         "t.csv:2: feature column 'a' holds '5,1', not a number; numbers take '.' as the decimal point: give "
         "--data.decimal ',' to read the file's decimal commas (or write it as '5.1')"),
        ('a,b,kind\n"-1.234,5",3,x\n',
         "t.csv:2: feature column 'a' holds '-1.234,5', not a number; numbers take '.' as the decimal point: write it "
         "as '-1234.5' (no thousands separators)"),
        # percentages and money as spreadsheets format them: the generic text advice offered to drop the column
        ("a,b,kind\n12.5%,3,x\n",
         "t.csv:2: feature column 'a' holds '12.5%', not a number; write percentages as plain numbers: '12.5' (or "
         "'0.125' as a fraction, the same way in every row)"),
        ('a;b;kind\n1;"-$1,234.50";x\n', "t.csv:2: feature column 'b' holds '-$1,234.50', not a number; write it as "
         "'-1234.50' (no currency sign)"),
        ("a;b;kind\n1;5,50 €;x\n", "t.csv:2: feature column 'b' holds '5,50 €', not a number; write it as '5.50' "
         "(no currency sign)"),
        # the only feature is text: no --data.features [] (itself refused) to suggest
        ("a,kind\nred,x\n",
         "t.csv:2: feature column 'a' holds 'red', not a number; features must be numbers, and the table has no other "
         "feature column; to one-hot encode it as categories, give --data.categorical '[a]'"),
        # names YAML would read as numbers or booleans, or the shell would split, are quoted
        # pandas' index column of a table whose names have spaces; a spreadsheet's delimiter ending every line
        (",sepal length (cm),petal width (cm),kind\n0,1,2,x\n",
         "t.csv:1: column 1 has no name (a saved index?); name it, or leave it out: "
         "--data.features '[sepal length (cm),petal width (cm)]'"),
        ("\ufeffa;b;kind;\r\n1.5;2;x;\r\n",
         "t.csv:1: column 4 has no name (a delimiter at the end of each line?); name it, or leave it out: "
         "--data.features '[a,b]'"),
        # one column to leave out rather than three to keep (features_option's quoting is tested below)
        ("01,yes,sepal length (cm),color,kind\n1,2,3,red,x\n",
         "t.csv:2: feature column 'color' holds 'red', not a number; to leave the column out, give "
         "--data.exclude '[color]', or to one-hot encode it as categories, give --data.categorical '[color]'"),
    ],
    ids=["decimal-comma", "decimal-comma-thousands", "percent", "dollars", "euros", "only-feature-is-text", "index-column-names-with-spaces",
         "delimiter-ending-each-line", "names-to-quote"],
)
def test_the_fix_a_refusal_names_is_one_that_works(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", content)
    assert refused(read_table, "t.csv", "kind") == message


def test_the_features_a_text_column_refusal_gives_leave_out_every_text_column(tmp_path, monkeypatch):
    # as palmerpenguins' penguins.csv: two text columns ('island', 'sex'); the first refusal named only
    # 'island', and its list kept 'sex', so following it met the next text column, one run per column
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "species,island,bill,mass,sex,year\n" + "".join(
        f"{'AG'[i % 2]},{'TB'[i % 2]},{30 + i},{3000 + i},{'NA' if i == 3 else 'mf'[i % 2]},{2007 + i % 2}\n"
        for i in range(8)))
    message = refused(read_table, "t.csv", "species")
    assert message == (
        "t.csv:2: feature column 'island' holds 'T', not a number; column 'sex' holds text too; to leave these "
        "columns out, give --data.exclude '[island,sex]', or to one-hot encode them as categories, give "
        "--data.categorical '[island,sex]'"
    )
    from blobclf.tabledata import TableDataModule

    exclude = shlex.split(message.split("give ")[1].split(", or ")[0])[1].strip("[]").split(",")
    data = TableDataModule("t.csv", "species", exclude=exclude)  # the advice followed works at once
    table = data._read("t.csv")
    assert table.feature_names == ["bill", "mass", "year"] and table.features.shape == (8, 3)
    # many text columns: three named, the others counted; a column of decimal commas stays (it has its own fix)
    names = [f"t{i}" for i in range(6)]
    write(tmp_path / "w.csv", ",".join(["num", *names, "d", "kind"]) + "\n1," + ",".join(["x"] * 6) + ',"1,5",a\n'
          + "2," + ",".join(["y"] * 6) + ',"2,5",b\n')
    assert refused(read_table, "w.csv", "kind") == (
        "w.csv:2: feature column 't0' holds 'x', not a number; columns 't1', 't2', 't3' and 2 more hold text too; "
        "to leave these columns out, list the features: --data.features '[num,d]', or to one-hot encode them as "
        "categories, give --data.categorical '[t0,t1,t2,t3,t4,t5]'"
    )
    write(tmp_path / "a.csv", "a,b,kind\nred,blue,x\n")
    assert refused(read_table, "a.csv", "kind") == (
        "a.csv:2: feature column 'a' holds 'red', not a number; column 'b' holds text too; features must be numbers, "
        "and the table has no other feature column of numbers; to one-hot encode them as categories, give "
        "--data.categorical '[a,b]'"
    )


def test_the_text_columns_a_refusal_leaves_out_are_found_in_the_first_rows(tmp_path, monkeypatch):
    # a refusal of a large table's id column stays quick: the rows are not all read to find text columns;
    # a stray word past them is named on its own line when the table is read
    from blobclf import tablehints

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tablehints, "TEXT_SCAN_ROWS", 4)
    rows = [f"{i},{'TB'[i % 2]},{i % 3},{i % 5},{'xy'[i % 2]}" for i in range(8)]
    rows[6] = "6,T,2,oops,x"
    write(tmp_path / "t.csv", "id,island,a,b,kind\n" + "\n".join(rows) + "\n")
    assert refused(read_table, "t.csv", "kind", features=["island", "a", "b"]) == (
        "t.csv:2: feature column 'island' holds 'T', not a number; to leave the column out, list the features: "
        "--data.features '[a,b]', or to one-hot encode it as categories, give --data.categorical '[island]'"
    )
    assert refused(read_table, "t.csv", "kind", features=["a", "b"]) == (
        "t.csv:8: feature column 'b' holds 'oops', not a number; correct the cell if it is a typo (the column's "
        "earlier rows hold numbers); to leave the column out, list the features: --data.features '[a]'"
    )


@pytest.mark.parametrize(
    ("content", "message", "kept"),
    [
        # R's biopsy (MASS) as pandas writes it: the unnamed index, then an 'ID'; the list offered kept 'ID',
        # and a listed id is a feature on purpose: followed, the model trained on the row identifier
        (",ID,V1,V2,class\n" + "".join(f"{i},{1000 + i},{i % 5},{i % 3},{'bm'[i % 2]}\n" for i in range(8)),
         "t.csv:1: column 1 has no name (a saved index?); name it, or leave it out: --data.features '[V1,V2]' (which "
         "also leaves out 'ID', named like a row identifier)", ["V1", "V2"]),
        # R's crabs (MASS): an index, a text column and a column 'index'; three refusals in turn before
        (",sp,sex,index,FL,RW,class\n" + "".join(f"{i},B,{'MF'[i % 2]},{i},{10 + i},{i % 4},{'bm'[i % 2]}\n"
                                                 for i in range(8)),
         "t.csv:1: column 1 has no name (a saved index?); name it, or leave it out: --data.features '[FL,RW]' (which "
         "also leaves out 'index', named like a row identifier, and 'sp' and 'sex', which hold text); to one-hot "
         "encode 'sex' as categories rather than leave it out, give --data.features '[sex,FL,RW]' --data.categorical "
         "'[sex]'", ["FL", "RW"]),
        # palmerpenguins' penguins-raw.csv: an id among text columns
        ("study,Individual ID,Island,Culmen,class\n" + "".join(f"P{i},N{i}A1,{'TB'[i % 2]},{30 + i},{'bm'[i % 2]}\n"
                                                               for i in range(8)),
         "t.csv:1: column 2, 'Individual ID', is named like a row identifier and would be a feature (every column but "
         "the target is); leave it out with --data.features '[Culmen]' (which also leaves out 'study' and 'Island', "
         "which hold text), or list it in --data.features to keep it; to one-hot encode 'Island' as categories rather "
         "than leave it out, give --data.features '[Island,Culmen]' --data.categorical '[Island]'", ["Culmen"]),
    ],
    ids=["index-and-id", "index-id-and-text", "id-and-text"],
)
def test_the_features_an_unnamed_or_id_column_refusal_gives_leave_out_ids_and_text(tmp_path, monkeypatch, content,
                                                                                  message, kept):
    from blobclf.tabledata import TableDataModule

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", content)
    assert refused(lambda: TableDataModule(path="t.csv", target="class").feature_names) == message
    features = shlex.split(message.split("--data.features ")[1].split(" (which")[0])[0].strip("[]").split(",")
    data = TableDataModule(path="t.csv", target="class", features=features)  # the advice, followed to the letter
    data.setup("fit")
    assert data.feature_names == kept and data.split("train")[0].shape[1] == len(kept)


def test_an_id_refusal_offers_to_encode_the_text_columns_that_look_like_categories(tmp_path, monkeypatch):
    # a new user's churn table: the id refusal's list left out 'Country' as text without a word of
    # --data.categorical, and following it dropped the column; dates and names (a value a row) are not offered
    from blobclf.tabledata import TableDataModule

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "customer_id,Signup Date,Name,Country,age,spend,Churn Status\n" + "".join(
        f"{1000 + i},2024-0{1 + i % 3}-1{i % 2},N{i},{'US DE FR'.split()[i % 3]},{20 + i},{i % 7}.5,{'ny'[i % 2]}\n"
        for i in range(12)))
    message = refused(lambda: TableDataModule(path="t.csv", target="Churn Status").feature_names)
    assert message == (
        "t.csv:1: column 1, 'customer_id', is named like a row identifier and would be a feature (every column but "
        "the target is); leave it out with --data.features '[age,spend]' (which also leaves out 'Signup Date', 'Name' "
        "and 'Country', which hold text), or list it in --data.features to keep it; to one-hot encode 'Country' as "
        "categories rather than leave it out, give --data.features '[Country,age,spend]' --data.categorical "
        "'[Country]'"
    )
    data = TableDataModule(path="t.csv", target="Churn Status", features=["Country", "age", "spend"],
                           categorical=["Country"])  # the advice, followed to the letter
    data.setup("fit")
    assert data.feature_names == ["Country_DE", "Country_FR", "Country_US", "age", "spend"]


def test_a_text_column_refusal_offers_no_date_column_as_categories(tmp_path, monkeypatch):
    # 'Signup Date' was offered with 'Country' in --data.categorical: a date one-hot encoded is a category a day,
    # and a day not in the training split is refused; the offer leaves the date out in the same step
    from blobclf.tabledata import TableDataModule

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "Signup Date,Country,age,Churn\n" + "".join(
        f"2024-0{1 + i % 3}-1{i % 2},{'US DE FR'.split()[i % 3]},{20 + i},{'ny'[i % 2]}\n" for i in range(12)))
    message = refused(lambda: TableDataModule(path="t.csv", target="Churn").setup("fit"))
    assert message == (
        "t.csv:2: feature column 'Signup Date' holds '2024-01-10', not a number; column 'Country' holds text too; to "
        "leave these columns out, list the features: --data.features '[age]', or to one-hot encode 'Country' as "
        "categories, give --data.exclude '[Signup Date]' --data.categorical '[Country]'"
    )
    data = TableDataModule(path="t.csv", target="Churn", exclude=["Signup Date"], categorical=["Country"])
    data.setup("fit")  # the advice, followed to the letter
    assert data.feature_names == ["Country_DE", "Country_FR", "Country_US", "age"]
    write(tmp_path / "d.csv", "Signup Date,age,Churn\n" + "".join(
        f"2024-0{1 + i % 3}-1{i % 2} 10:00,{20 + i},{'ny'[i % 2]}\n" for i in range(12)))
    assert refused(lambda: TableDataModule(path="d.csv", target="Churn").setup("fit")) == (
        "d.csv:2: feature column 'Signup Date' holds '2024-01-10 10:00', not a number; to leave the column out, list "
        "the features: --data.features '[age]'"
    )


def test_names_addresses_and_free_text_are_not_offered_as_categories(tmp_path, monkeypatch):
    # an orders table: first names, a customer's e-mail on each of their orders and stock comments repeat as a
    # category's values do, and were offered for --data.categorical beside 'Country'; by name or by their cells
    # (an address, five words or more) they are left out as text, not offered
    from blobclf.tabledata import TableDataModule

    monkeypatch.chdir(tmp_path)
    comments = ["Arrived late but the box was fine", "Great product, would buy again"]
    write(tmp_path / "t.csv", "order_id,first_name,contact,comment,Country,spend,Returned\n" + "".join(
        f"{i},{'Anna Ben Carl'.split()[i % 3]},c{i % 4}@example.com,\"{comments[i % 2]}\",{'US DE FR'.split()[i % 3]},"
        f"{i % 7}.5,{'ny'[i % 2]}\n" for i in range(24)))
    message = refused(lambda: TableDataModule(path="t.csv", target="Returned").feature_names)
    assert message == (
        "t.csv:1: column 1, 'order_id', is named like a row identifier and would be a feature (every column but "
        "the target is); leave it out with --data.features '[spend]' (which also leaves out 'first_name', 'contact', "
        "'comment' and 1 more, which hold text), or list it in "
        "--data.features to keep it; to one-hot encode 'Country' as categories rather than leave it out, give "
        "--data.features '[Country,spend]' --data.categorical '[Country]'"
    )
    message = refused(lambda: TableDataModule(path="t.csv", target="Returned", exclude=["order_id"]).setup("fit"))
    assert message.endswith("or to one-hot encode 'Country' as categories, give --data.exclude "
                            "'[order_id,first_name,contact,comment]' --data.categorical '[Country]'"), message


def test_name_columns_of_few_values_are_offered_as_categories_and_people_s_names_are_not(tmp_path, monkeypatch):
    # the rule that keeps first_name and e-mails out took every *_name column for a person's: product_name, of 3
    # products on 40 orders, was no longer offered; now a name column's values decide, unless its name says people
    from blobclf.tabledata import TableDataModule

    monkeypatch.chdir(tmp_path)
    products, people = "Widget Gadget Gizmo".split(), [f"Person {i}" for i in range(20)]
    write(tmp_path / "t.csv", "order_id,product_name,customer_name,name,brandName,spend,Returned\n" + "".join(
        f"{i},{products[i % 3]},{people[i % 20]},{people[i % 20]},{'AB'[i % 2]},{i % 7}.5,{'ny'[i % 2]}\n"
        for i in range(40)))
    message = refused(lambda: TableDataModule(path="t.csv", target="Returned").feature_names)
    assert message == (
        "t.csv:1: column 1, 'order_id', is named like a row identifier and would be a feature (every column but the "
        "target is); leave it out with --data.features '[spend]' (which also leaves out 'product_name', "
        "'customer_name', 'name' and 1 more, which hold text), or list it in --data.features to keep it; to one-hot "
        "encode 'product_name' and 'brandName' as categories rather than leave them out, give --data.features "
        "'[product_name,brandName,spend]' --data.categorical '[product_name,brandName]'"
    )


def test_a_kaggle_titanic_table_is_told_its_id_and_offered_only_columns_of_categories(tmp_path, monkeypatch):
    # PassengerId was not taken for an id (camel case), and the refusal of 'Name' offered to encode 'Ticket' (a value
    # on each row) as categories: following it, the split refused a ticket found only in held-out rows
    from blobclf.tabledata import TableDataModule

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "PassengerId,Survived,Pclass,Name,Sex,Ticket,Embarked\n" + "".join(
        f"{i + 1},{i % 2},{i % 3 + 1},\"Surname{i}, Mr. Given{i}\",{['male', 'female'][i % 2]},A/5 {1000 + i},"
        f"{'SCQ'[i % 3]}\n" for i in range(30)))
    assert refused(lambda: TableDataModule(path="t.csv", target="Survived").feature_names) == (
        "t.csv:1: column 1, 'PassengerId', is named like a row identifier and would be a feature (every column but "
        "the target is); leave it out with --data.features '[Pclass]' (which also leaves out 'Name', 'Sex', 'Ticket' "
        "and 1 more, which hold text), or list it in --data.features to keep it; to one-hot encode 'Sex' and "
        "'Embarked' as categories rather than leave them out, give --data.features '[Pclass,Sex,Embarked]' "
        "--data.categorical '[Sex,Embarked]'"
    )
    message = refused(lambda: TableDataModule(path="t.csv", target="Survived", exclude=["PassengerId"]).setup("fit"))
    assert message == (
        "t.csv:2: feature column 'Name' holds 'Surname0, Mr. Given0', not a number; columns 'Sex', 'Ticket' "
        "and 'Embarked' hold text too; to leave these columns out, give --data.exclude "
        "'[PassengerId,Name,Sex,Ticket,Embarked]', or to one-hot encode 'Sex' and 'Embarked' as categories, give "
        "--data.exclude '[PassengerId,Name,Ticket]' --data.categorical '[Sex,Embarked]'"
    )


def test_missing_values_in_several_columns_are_all_named_at_once(tmp_path, monkeypatch):
    # vega_datasets' cars: 8 gaps in Miles_per_Gallon, 6 in Horsepower on other rows; only the first column was
    # named, so removing its rows met the next column's refusal. Gaps on the first column's rows (palmerpenguins:
    # four columns empty in the same two rows) go with those rows, and are not named.
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "a,b,c,d,e,f,kind\n1,2,3,4,5,6,x\n1,NA,3,,5,6,y\n,2,,4,,,x\n1,,3,4,5,6,y\n")
    assert refused(read_table, "t.csv", "kind") == (
        "t.csv: column 'b' has 2 missing values (first on line 3); so do 'a' (1), 'c' (1), 'e' (1) and 1 more in "
        "other rows; fill them in or remove those rows, or leave those rows out with --data.missing drop"
    )
    write(tmp_path / "u.csv", "a,b,kind\n1,2,x\n1,NA,y\n,2,x\n")
    assert refused(read_table, "u.csv", "kind") == (
        "u.csv: column 'b' has 1 missing value (first on line 3); so do 'a' (1) in other rows; fill them in or "
        "remove those rows, or leave those rows out with --data.missing drop"
    )
    write(tmp_path / "p.csv", "a,b,c,kind\n1,2,3,x\nNA,NA,NA,y\n4,5,6,x\n,,,y\n")
    assert refused(read_table, "p.csv", "kind") == (
        "p.csv: column 'a' has 2 missing values (first on line 3); fill them in or "
        "remove those rows, or leave those rows out with --data.missing drop"
    )


def test_a_column_empty_on_every_row_is_refused_with_the_option_that_leaves_it_out(tmp_path, monkeypatch):
    # pandas writes a column of NaN as empty cells: "fill them in or remove those rows" said to remove every row
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "sepal,notes,petal,kind\n1,,2,x\n3,,4,y\n5,,6,x\n7,,8,y\n")
    assert refused(read_table, "t.csv", "kind") == (
        "t.csv: feature column 'notes' is empty (a missing value on every one of the 4 rows); to leave it out, give "
        "--data.exclude '[notes]'"
    )
    write(tmp_path / "u.csv", "a,e1,b,e2,kind\n1,,2,NA,x\n3,,4,NA,y\n")
    assert refused(read_table, "u.csv", "kind", features=["e1", "b", "e2"]) == (
        "u.csv: feature columns 'e1', 'e2' are empty (a missing value on every one of the 2 rows); to leave them out, "
        "give --data.features '[b]'"
    )
    write(tmp_path / "v.csv", "a,kind\n,x\nNA,y\n")
    assert refused(read_table, "v.csv", "kind") == (
        "v.csv: feature column 'a' is empty (a missing value on every one of the 2 rows); fill it in: features must "
        "be numbers, and the table has no other feature column"
    )
    # followed, it reads; a column with gaps on some rows only is still a matter of rows
    table = read_table("t.csv", "kind", features=["sepal", "petal"], selection="exclude")
    assert table.feature_names == ["sepal", "petal"] and table.features.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]
    assert refused(read_table, "t.csv", "kind", features=["notes", "petal"], selection="exclude") == (
        "t.csv: feature column 'notes' is empty (a missing value on every one of the 4 rows); to leave it out, give "
        "--data.exclude '[sepal,notes]'"
    )
    # a test table read for a trained model: leaving the column out would no longer fit the model
    assert refused(read_table, "t.csv", "kind", classes=["x", "y"]) == (
        "t.csv: feature column 'notes' is empty (a missing value on every one of the 4 rows); fill it in: the model "
        "takes it as a feature"
    )
    write(tmp_path / "x.csv", "sepal,notes,petal,kind\n1,3,2,x\n3,n/r,4,y\n")
    assert refused(read_table, "x.csv", "kind", classes=["x", "y"]) == (
        "x.csv:3: feature column 'notes' holds 'n/r', not a number; write a number there: the model takes the column "
        "as a feature"
    )
    write(tmp_path / "w.csv", "sepal,notes,petal,kind\n1,,2,x\n3,5,4,y\n")
    assert refused(read_table, "w.csv", "kind") == (
        "w.csv: column 'notes' has 1 missing value (first on line 2); fill them in or "
        "remove those rows, or leave those rows out with --data.missing drop"
    )


def test_a_class_named_like_a_missing_value_is_told_how_to_keep_it(tmp_path, monkeypatch):
    # a severity 'None' / 'mild' / 'severe': 'None' reads as missing (as pandas reads it), and "fill them in"
    # alone did not say that the class itself was the trouble
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"{i},{i % 3},{['None', 'mild', 'severe'][i % 3]}\n" for i in range(9))
    write(tmp_path / "t.csv", "a,b,severity\n" + rows)
    assert refused(read_table, "t.csv", "severity") == (
        "t.csv: column 'severity' has 3 missing values (first on line 2); fill them in or "
        "remove those rows, or leave those rows out with --data.missing drop; if 'None' in the target column 'severity' is a class, rename it in the file (blobclf "
        "reads 'None' as a missing value in every column)"
    )
    write(tmp_path / "t.csv", "a,b,severity\n" + rows.replace("None", "no"))  # followed
    assert read_table("t.csv", "severity").classes == ["mild", "no", "severe"]
    write(tmp_path / "u.csv", "a,b,kind\n1,2,x\n3,4,\n5,6,y\n")  # an empty cell is no class
    assert refused(read_table, "u.csv", "kind").endswith("fill them in or remove those rows, or leave those rows out with --data.missing drop")


def test_a_few_dozen_features_are_offered_as_a_list_to_paste(tmp_path, monkeypatch):
    # scikit-learn's breast cancer as pandas writes it (an unnamed index, 30 named features): the refusal said
    # "--data.features listing the 30 columns to keep (in a --config file ...)", a list to type by hand
    from blobclf.tabledata import TableDataModule

    monkeypatch.chdir(tmp_path)
    names = [f"{kind} {what}" for kind in ("mean", "worst", "error") for what in (
        "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points",
        "symmetry", "fractal dimension")]
    write(tmp_path / "t.csv", ",".join(["", *names, "diagnosis"]) + "\n" + "".join(
        ",".join([str(i), *(str(i * k % 7) for k in range(30)), "mb"[i % 2]]) + "\n" for i in range(10)))
    message = refused(lambda: TableDataModule(path="t.csv", target="diagnosis").feature_names)
    assert message.startswith("t.csv:1: column 1 has no name (a saved index?); name it, or leave it out: "
                              "--data.features '[mean radius,mean texture,")
    option = message.split("leave it out: ")[1]
    assert len(option) < 520 and option.endswith(",error fractal dimension]'")
    import yaml

    data = TableDataModule(path="t.csv", target="diagnosis", features=yaml.safe_load(shlex.split(option)[1]))
    assert data.feature_names == names


def test_suggested_features_options_read_back_as_the_names():
    from jsonargparse._loaders_dumpers import yaml_load

    for names in (["a", "b"], ["01", "yes", "null", "1.50", "1e3"], ["x, y", 'say "hi"', "it's"], ["é_t", "日本語"]):
        words = shlex.split(features_option(names))
        assert words[0] == "--data.features" and yaml_load(words[1]) == names


def test_suggested_options_are_quoted_against_the_shells_globbing(tmp_path):
    """'--data.exclude [id]' unquoted is a glob: zsh (macOS) refuses the command ("no matches found: [id]"), bash
    passes 'd' instead if the folder holds a file named d (a folder 't' turned [comment] into 't' here)."""
    import subprocess

    (tmp_path / "d").write_text("")
    with optionnames.command_line():
        option = names_option("exclude", ["id"], "leave out")
    assert option == "--data.exclude '[id]'"
    echoed = subprocess.run(["bash", "-c", f"printf '%s\\n' {option}"], cwd=tmp_path, capture_output=True, text=True)
    assert echoed.stdout.splitlines() == ["--data.exclude", "[id]"]


def test_a_decimal_comma_in_a_prediction_input_is_named_as_in_training(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "p.csv", "x0;x1\n5,1;2\n")
    assert refused(read_points, "p.csv", ["x0", "x1"], ["0", "1"]) == (
        "p.csv:2: x0='5,1' is not a number; numbers take '.' as the decimal point: give --data.decimal ',' to read the "
        "file's decimal commas (or write it as '5.1')"
    )


def test_blank_lines_anywhere_are_no_rows_and_every_row_is_kept(tmp_path):
    path = write(tmp_path / "t.csv", "\n  \na,b,kind\n1,2,x\n   \n\t\n3,4,y\n\n5,6,x\n \n")
    table = read_table(path, "kind")
    assert table.features.tolist() == [[1, 2], [3, 4], [5, 6]] and table.labels.tolist() == [0, 1, 0]


def test_an_unnamed_column_left_out_of_the_features_is_read_past(tmp_path):
    path = write(tmp_path / "t.csv", ",a,b,kind\n0,1,2,x\n1,3,4,y\n")
    assert read_table(path, "kind", features=["a", "b"]).features.tolist() == [[1, 2], [3, 4]]


def test_what_numpy_alone_refuses_is_still_one_line_naming_line_and_column(tmp_path):
    path = write(tmp_path / "t.csv", "a,b,kind\n1,2,x\n\n3,4,y\n")
    header = read_header(path)
    error = unreadable(header, ValueError("could not convert string 'z' to float32 at row 1, column 2."))
    assert str(error) == (f"{path}:4: column 'b': numpy cannot read the row (could not convert string 'z' to float32 "
                          "at row 1, column 2.); check that row")
    error = unreadable(header, ValueError("the number of columns changed from 3 to 2 at row 2; use `usecols` ..."))
    assert str(error) == f"{path}:4: numpy cannot read the row (the number of columns changed from 3 to 2 at row 2); check that row"
    assert isinstance(unreadable(Header(str(path), ["a"], ",", 1), ValueError("odd")), UserError)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PAR1\x15\x04", "t.csv is a Parquet file; blobclf reads CSV text only: save it as CSV (see docs/tables.md)"),
        (b"\x1f\x8b\x08\x00", ("t.csv: the gzip-compressed file is damaged or cut short (Compressed file ended before "
                              "the end-of-stream marker was reached); copy or download it again (gzip -t t.csv tests "
                              "it)")),
        (b"PK\x03\x04\x14\x00", ("t.csv is a zip archive; blobclf reads CSV text only: unpack it (unzip t.csv) and give the "
                                "CSV inside")),
    ],
    ids=["parquet", "gzip", "zip"],
)
def test_files_of_other_formats_are_named(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", content)
    assert refused(read_table, "t.csv", "kind") == message


def test_an_excel_workbook_and_a_folder_are_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.xlsx", b"PK\x03\x04\x14\x00")
    assert refused(read_table, "t.xlsx", "kind") == (
        "t.xlsx is an Excel workbook; blobclf reads CSV text only: save it as CSV (see docs/tables.md)"
    )
    (tmp_path / "data").mkdir()
    assert refused(read_table, "data", "kind") == "data is a folder, not a CSV file; give the path of the table file itself"


def test_a_pipe_or_device_given_as_a_table_is_named_without_reading_it(cli):
    os.mkfifo(cli.cwd / "t.csv")  # 'fit' counted its lines first: it waited for a writer, then forever on /dev/zero
    (cli.cwd / "zero.csv").symlink_to("/dev/zero")
    stop = threading.Event()

    def unblock() -> None:  # a reader waiting on the pipe (as before the fix) gets its end, not a hang
        while not stop.wait(0.5):
            try:
                os.close(os.open(cli.cwd / "t.csv", os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass  # no reader yet

    threading.Thread(target=unblock, daemon=True).start()
    try:
        assert count_lines(cli.cwd / "t.csv") == 0
        for name in ("t.csv", "zero.csv"):
            result = cli("fit", "--data", "TableDataModule", "--data.path", name, "--data.target", "kind")
            assert one_error(result) == (f"{name} is not a regular file (a pipe or device: reading it might never "
                                         "end); give the path of the table file itself")
            assert not (cli.cwd / "checkpoints").exists()
    finally:
        stop.set()


def test_column_lists_in_messages_are_bounded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = [f"c{i}" for i in range(30)]
    write(tmp_path / "t.csv", ",".join(names) + "\n" + ",".join(["1"] * 30) + "\n")
    shown = ", ".join(names[:20]) + ", ... (10 more)"
    assert refused(read_table, "t.csv", "kind") == (
        f"t.csv: no target column 'kind'; the columns are: {shown} (choose one with --data.target)"
    )
    assert refused(read_points, "t.csv", ["x0", *names]) == (
        f"t.csv:1: no column 'x0', which the model needs; the columns are: {shown} (the model's features: x0, "
        f"{', '.join(names[:19])}, ... (11 more))"
    )
    wide = [f"feature_{i}" for i in range(100)]
    write(tmp_path / "w.csv", ",".join([*wide, "kind"]) + "\n" + ",".join(["1"] * 50 + ["x"] + ["1"] * 49 + ["a"]) + "\n")
    # 99 features cannot be pasted, but the one column to leave out can (the review found a list to type by hand)
    assert refused(read_table, "w.csv", "kind") == (
        "w.csv:2: feature column 'feature_50' holds 'x', not a number; to leave the column out, give "
        "--data.exclude '[feature_50]', or to one-hot encode it as categories, give --data.categorical '[feature_50]'"
    )
    from blobclf.tabledata import TableDataModule

    followed = TableDataModule("w.csv", "kind", exclude=["feature_50"])
    assert followed.feature_names == [name for name in wide if name != "feature_50"]
    assert followed._read("w.csv").features.shape == (1, 99)


# --- prediction inputs: the same numbers as training, no row dropped, no column written twice ------------

@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("x0,x1\n1,2\n1_0,3\n", "p.csv:3: x0='1_0' is not a number; write it as '10' (ASCII digits 0-9, no '_')"),
        ("x0,x1\n1,\u0663\n", "p.csv:2: x1='\u0663' is not a number; write it as '3' (ASCII digits 0-9, no '_')"),
        ("x0,x1\n1,$5\n", "p.csv:2: x1='$5' is not a number; write it as '5' (no currency sign)"),
        ("id,x0,x1\np1,1,2\n,,\np2,3,4\n",
         "p.csv:3: a row of empty cells (missing values); fill it in or remove it (blobclf drops no row itself)"),
        ("x0,x1\n1,NA\n", "p.csv:2: x1='NA' is a missing value; fill it in or remove the row (blobclf drops no row itself)"),
        ("x0,x1,prob_0\n1,2,0.5\n", ("p.csv:1: column 3 is named 'prob_0', a column the predictions add (is this an "
                                    "earlier predictions file?); rename it or drop it")),
        ("predicted,x0,x1\n1,1,2\n", ("p.csv:1: column 1 is named 'predicted', a column the predictions add (is this an "
                                     "earlier predictions file?); rename it or drop it")),
        ('x0,x1\n1,2\n"3,4\n5,6\n7,8\n', ("p.csv:3: a quoted cell opens on this line and is not closed (the row runs on "
                                         "to line 5); close the quote")),
    ],
    ids=["underscore", "arabic-indic-digit", "dollars", "row-of-empty-cells", "missing-value", "prob-column",
         "predicted-column",
         "unclosed-quote"],
)
def test_prediction_inputs_are_refused_as_training_tables_are(tmp_path, monkeypatch, content, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "p.csv", content)
    assert refused(read_points, "p.csv", ["x0", "x1"], ["0", "1"]) == message


def test_blank_lines_in_prediction_inputs_are_skipped_as_in_training(tmp_path):
    path = write(tmp_path / "p.csv", "x0,x1\n1,2\n  \n\n3,4\n\t\n")
    assert read_points(path, ["x0", "x1"], ["0", "1"]).features.tolist() == [[1, 2], [3, 4]]


def test_numbers_with_any_spaces_around_are_read_alike_for_training_and_prediction(tmp_path):
    """numpy strips every kind of space (a no-break space too), and so does the prediction reader."""
    path = tmp_path / "p.csv"
    path.write_text("x0,x1,kind\n\u00a02, 1e5 ,a\n 4 ,-.5,b\n")
    assert read_points(path, ["x0", "x1"], ["0", "1"]).features.tolist() == [[2, 100000], [4, -0.5]]
    assert read_table(path, "kind").features.tolist() == [[2, 100000], [4, -0.5]]


def test_predictions_never_hold_two_columns_of_one_name():
    with pytest.raises(UserError) as error:
        prediction_rows(torch.zeros(1, 1), torch.tensor([[0.5, 0.5]]), torch.tensor([-1]), ["predicted"], ["a", "b"])
    assert str(error.value) == "the predictions would have two columns named 'predicted'; rename that column of the input"


def test_predictions_write_features_as_the_input_wrote_them():
    """The float32 the model saw, in its shortest text: 5.1 stays 5.1 (not 5.099999904632568) and reads back exactly."""
    features = torch.tensor([[5.1, 0.386], [-0.0, 3.4e38], [1e-30, 16777217.0]])
    header, rows = prediction_rows(features, torch.tensor([[0.5, 0.5]] * 3), torch.tensor([-1] * 3), ["a", "b"], ["x", "y"])
    assert header == ["a", "b", "prob_x", "prob_y", "predicted"]
    assert [row[:2] for row in rows] == [["5.1", "0.386"], ["-0.0", "3.4e+38"], ["1e-30", "16777216.0"]]
    assert torch.equal(torch.tensor([[float(v) for v in row[:2]] for row in rows], dtype=torch.float32), features)


# --- files as other tools write them (Excel, R, pandas, old Macs): read alike, or refused in one line --------

IRIS_LIKE = "a,b,kind\n" + "".join(f"{i % 7}.5,{i % 3},{'xyz'[i % 3]}\n" for i in range(30))


def test_classic_mac_line_endings_are_one_line_in_training_and_prediction(tmp_path, monkeypatch):
    """Excel for Mac's "CSV (Macintosh)" ends lines in CR alone: the csv module raised its own error, a traceback."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "mac.csv", IRIS_LIKE.replace("\n", "\r"))
    message = ("mac.csv:1: the lines end in a carriage return alone (CR, as classic Mac OS and Excel's \"CSV "
               "(Macintosh)\" save); save the file with LF or CRLF line endings (\"CSV UTF-8\" in Excel)")
    assert refused(read_table, "mac.csv", "kind") == message
    assert refused(read_points, "mac.csv", ["a", "b"], ["x", "y", "z"], "kind") == message
    # a CR line ending just the header (a one-line file) is a CRLF's half, not a classic Mac file
    assert read_header(write(tmp_path / "one.csv", "a,b,kind\r")).columns == ["a", "b", "kind"]


@pytest.mark.parametrize("ending", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("cell", ['"c\rd"', '"c\r\nd"', '"c\nd"'], ids=["cr", "crlf", "lf"])
def test_a_line_break_in_a_quoted_class_is_one_class_in_training_and_prediction(tmp_path, monkeypatch, ending, cell):
    """A class written "c<CR>d": training read it as 'c<LF>d', prediction as 'c<CR>d', and refused it."""
    monkeypatch.chdir(tmp_path)
    names = ["x", cell, "y"]
    lines = ["a,b,kind", *(f"{i % 7}.5,{i % 3},{names[i % 3]}" for i in range(30))]
    (tmp_path / "t.csv").write_bytes("".join(line + ending for line in lines).encode())
    table = read_table("t.csv", "kind")
    assert table.classes == ["c\nd", "x", "y"]
    points = read_points("t.csv", ["a", "b"], table.classes, "kind")
    assert points.labels.tolist() == [1, 0, 2] * 10
    assert points.features[:3].tolist() == [[0.5, 0.0], [1.5, 1.0], [2.5, 2.0]]


@pytest.mark.parametrize(
    ("encoding", "iconv"), [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE")],
    ids=["bom", "little-endian", "big-endian"],
)
def test_utf16_text_is_read_in_training_and_prediction(tmp_path, monkeypatch, encoding, iconv):
    """Excel's "Unicode Text" (UTF-16, tab-delimited): was "not UTF-8 text (byte 0xff)", or a garbled header without a
    BOM, then refused with the iconv command for its byte order; now it is read as that command's UTF-8 output."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "u.txt", IRIS_LIKE.replace(",", "\t").replace("\n", "\r\n").encode(encoding))
    plain = read_table(write(tmp_path / "p.csv", IRIS_LIKE), "kind")
    table = read_table("u.txt", "kind")
    assert (table.features == plain.features).all() and (table.labels == plain.labels).all()
    assert table.classes == plain.classes == ["x", "y", "z"]
    points = read_points("u.txt", ["a", "b"], ["x", "y", "z"], "kind")
    assert points.features.tolist() == plain.features.tolist() and points.labels.tolist() == plain.labels.tolist()
    import shutil
    import subprocess

    if shutil.which("iconv"):
        subprocess.run(f"iconv -f {iconv} -t UTF-8 u.txt > u-utf8.txt", shell=True, check=True, cwd=tmp_path)
        assert (read_table("u-utf8.txt", "kind").features == table.features).all()


def test_excels_sep_line_states_the_delimiter_in_training_and_prediction(tmp_path, monkeypatch):
    """``sep=;`` before the header, as Excel reads and some exporters write: it was taken for a one-column header."""
    monkeypatch.chdir(tmp_path)
    plain = read_table(write(tmp_path / "plain.csv", IRIS_LIKE), "kind")
    stated = "\ufeffsep=;\r\n" + IRIS_LIKE.replace(",", ";").replace("\n", "\r\n")
    table = read_table(write(tmp_path / "sep.csv", stated), "kind")
    assert table.columns == plain.columns and table.classes == plain.classes
    assert (table.features == plain.features).all() and (table.labels == plain.labels).all()
    points = read_points("sep.csv", ["a", "b"], plain.classes, "kind")
    assert points.features.numpy().tolist() == plain.features.tolist()
    # lines are the file's own: the header is line 2
    write(tmp_path / "bad.csv", "sep=;\na;b;kind\n1;q;x\n")
    assert refused(read_table, "bad.csv", "kind").startswith("bad.csv:3: feature column 'b' holds 'q', not a number")
    assert refused(read_table, "sep.csv", "kind", delimiter=",") == (
        "sep.csv:1: the file states its delimiter (sep=;), but --data.delimiter is ','; give --data.delimiter ';' or "
        "leave it out"
    )
    # a sep= line that does not match the file: the fix is the line, not --data.delimiter
    write(tmp_path / "wrong.csv", "sep=,\n" + IRIS_LIKE.replace(",", ";"))
    assert refused(read_table, "wrong.csv", "kind") == (
        "wrong.csv: no target column 'kind'; the columns are: a;b;kind (choose one with --data.target); the header was "
        "split at ',', as the file's first line (sep=,) states, but holds ';': correct that line or delete it"
    )


@pytest.mark.parametrize(
    ("cell", "fix"),
    [
        ('"1,234.5"', "numbers take no thousands separators: write it as '1234.5'"),
        ('"-12,345,678"', "numbers take no thousands separators: write it as '-12345678'"),
        ('"1,234"', ("numbers take '.' as the decimal point and no thousands separators: write it as '1.234' (a decimal "
                     "comma) or '1234' (thousands)")),
        ("True", "write booleans as 1 and 0"),
        ("FALSE", "write booleans as 1 and 0"),
    ],
    ids=["thousands", "millions", "ambiguous", "pandas-boolean", "r-boolean"],
)
def test_spreadsheet_numbers_and_booleans_are_told_how_to_write_in_training_and_prediction(tmp_path, monkeypatch, cell,
                                                                                          fix):
    """The fix was "leave the column out" for thousands separators and booleans, and "write 1.234" for 1,234 alone."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", f"a,b,kind\n1,2,x\n{cell},3,y\n")
    shown = cell.strip('"')
    assert refused(read_table, "t.csv", "kind") == f"t.csv:3: feature column 'a' holds {shown!r}, not a number; {fix}"
    assert refused(read_points, "t.csv", ["a", "b"], ["x", "y"], "kind") == f"t.csv:3: a={shown!r} is not a number; {fix}"


def test_comment_lines_before_the_header_are_named_in_training_and_prediction(tmp_path, monkeypatch):
    """An exporter's "# ..." lines: the message listed the comment as the only column, and said nothing of it."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "c.csv", "# exported by tool X, 2024\n# units: cm\n" + IRIS_LIKE)
    hint = "line 1 starts with '#': blobclf reads no comment lines, remove them so that the header is the first line"
    assert refused(read_table, "c.csv", "kind") == (
        f"c.csv: no target column 'kind'; the columns are: # exported by tool X, 2024 (choose one with --data.target); {hint}"
    )
    assert refused(read_points, "c.csv", ["a", "b"], ["x", "y", "z"], "kind").endswith(f"(the model's features: a, b); {hint}")


def test_a_continuous_target_is_named_as_such(tmp_path, monkeypatch):
    """A regression target by mistake (800 distinct numbers): the refusal named one value's single row."""
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"{i % 7},{i % 5},{(i * 37 % 800) / 8 + 0.125}\n" for i in range(800))
    write(tmp_path / "r.csv", "a,b,price\n" + rows)
    assert refused(read_table_split, "r.csv", "price") == (
        "r.csv: the target column 'price' holds 800 distinct numbers in 800 rows (from 0.125 to 100): a measured value, "
        "not classes? blobclf classifies; choose a column of classes with --data.target, or bin the values into classes"
    )
    # a few numeric classes, one of them a single row, is still named as the rare class
    write(tmp_path / "s.csv", "a,kind\n1,0\n2,0\n3,1\n4,1\n5,7\n")
    assert refused(read_table_split, "s.csv", "kind").startswith("s.csv: class '7' has only 1 row(s)")


def read_table_split(path: str, target: str) -> None:
    """Read a training table and split it as ``fit`` does."""
    from blobclf.tabledata import TableDataModule

    TableDataModule(path, target).setup("fit")


# the shorter option, of fewer names: one id column to leave out, or two features to keep
@pytest.mark.parametrize(("name", "option"), [
    ("id", "--data.exclude '[id]'"), ("Patient ID", "--data.features '[a,b]'"), ("#", "--data.exclude '[\"#\"]'"),
    ("Unnamed: 0", "--data.features '[a,b]'"), ("rownames", "--data.features '[a,b]'"),
])
def test_an_identifier_column_is_no_feature_by_default(tmp_path, monkeypatch, name, option):
    """A numeric id (rows sorted by class: the id gives the class away) was trained on as a feature, without a word."""
    import yaml

    from blobclf.tabledata import TableDataModule

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", f"{name},a,b,kind\n" + "".join(f"{100 + i},{i % 7}.5,{i % 3},{'xy'[i // 15]}\n" for i in range(30)))
    assert refused(read_table_split, "t.csv", "kind") == (
        f"t.csv:1: column 1, {name!r}, is named like a row identifier and would be a feature (every column but the "
        f"target is); leave it out with {option}, or list it in --data.features to keep it"
    )
    key, value = shlex.split(option)
    left_out = TableDataModule("t.csv", "kind", **{key.removeprefix("--data."): yaml.safe_load(value)})  # as it says
    left_out.setup("fit")
    assert left_out.split("train")[0].shape == (24, 2)
    kept = TableDataModule("t.csv", "kind", features=[name, "a", "b"])
    kept.setup("fit")
    assert kept.split("train")[0].shape == (24, 3)


def test_two_columns_without_a_name_are_named_so(tmp_path, monkeypatch):
    """pandas' index and a delimiter ending every line: the header was said to name the column '' twice."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", ",a,b,kind,\n0,1,2,x,\n1,3,4,y,\n")
    message = ("t.csv:1: columns 1 and 5 have no name (a saved index, a delimiter at the end of each line, empty columns "
               "a spreadsheet kept?); name them, or delete them")
    assert refused(read_table, "t.csv", "kind") == message
    assert refused(read_points, "t.csv", ["a", "b"], ["x", "y"], "kind") == message


def test_empty_columns_a_spreadsheet_kept_are_left_out_as_one_column_is(tmp_path, monkeypatch):
    """``a,b,kind,,`` (blank cells only) was told to name or delete the columns, where one such column is offered the
    --data.features that leaves it out; they are now alike, and the option offered works."""
    import yaml

    from blobclf.tabledata import TableDataModule

    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "a,b,kind,,\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]},, \n" for i in range(20)))
    message = refused(read_table_split, "t.csv", "kind")
    assert message == ("t.csv:1: columns 4 and 5 have no name and no values (empty columns a spreadsheet kept?); "
                       "delete them, or leave them out: --data.features '[a,b]'")
    data = TableDataModule("t.csv", "kind", features=yaml.safe_load(shlex.split(message.split("out: ")[1])[1]))
    data.setup("fit")
    assert data.split("train")[0].shape == (16, 2) and data.split("test")[0].shape == (4, 2)
    assert TableDataModule("t.csv", "kind", exclude=[""]).feature_names == ["a", "b"]
    # with a value in one of them, they may be data: named, or deleted
    write(tmp_path / "v.csv", "a,b,kind,,\n1,2,x,,\n3,4,y,,7\n")
    assert refused(read_table, "v.csv", "kind") == (
        "v.csv:1: columns 4 and 5 have no name (a saved index, a delimiter at the end of each line, empty columns a "
        "spreadsheet kept?); name them, or delete them")


def test_predictions_are_written_block_by_block_with_the_same_bytes(tmp_path, monkeypatch):
    """A million-row predict held every row as text, then the whole CSV twice (2 GB for an 87 MB input)."""
    import csv
    import io
    import tracemalloc

    from blobclf import predictions
    from blobclf.predictions import prediction_table, write_rows

    monkeypatch.setattr(predictions, "BLOCK_ROWS", 1000)

    rows = 30_000
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(rows, 10, generator=generator)
    probabilities = torch.softmax(torch.randn(rows, 3, generator=generator), dim=1)
    labels = torch.randint(0, 3, (rows,), generator=generator)
    names = [f"f{i}" for i in range(10)]
    carried = {"id": [f"r{i}" for i in range(rows)]}
    header, listed = prediction_rows(features, probabilities, labels, names, ["a", "b", "c"], carried, "kind")
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\n").writerows([header, *listed])
    expected = expected.getvalue().encode()
    del listed

    tracemalloc.start()
    with open(tmp_path / "p.csv", "wb") as handle:
        header, streamed = prediction_table(features, probabilities, labels, names, ["a", "b", "c"], carried, "kind")
        assert write_rows(handle, header, streamed) == rows
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert (tmp_path / "p.csv").read_bytes() == expected
    assert peak < len(expected) / 4, f"{peak} bytes at the peak for {len(expected)} bytes written"  # 0.3 MB for 5 MB


@pytest.mark.parametrize("cell", ["", "NA", "nan"], ids=["empty", "r-na", "pandas-nan"])
def test_a_missing_known_class_in_a_prediction_input_is_named_so(tmp_path, monkeypatch, cell):
    """A target column with a class left out (pandas writes NaN as an empty cell): it was "not one of the classes"."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "p.csv", f"a,b,kind\n1,2,x\n3,4,{cell}\n")
    assert refused(read_points, "p.csv", ["a", "b"], ["x", "y"], "kind") == (
        f"p.csv:3: kind={cell!r} is a missing class; give every row's class, or remove the 'kind' column to predict "
        "without known classes (blobclf drops no row itself)"
    )


def test_a_compressed_table_is_read_and_one_compressed_twice_is_told_how_to_decompress(tmp_path, monkeypatch):
    """pandas' to_csv("t.csv.gz"): the refusal said "save it as CSV", which it had been, then compressed; then it was
    told to decompress it; now it is read. A file compressed twice gets the command that undoes one of them."""
    import gzip

    monkeypatch.chdir(tmp_path)
    (tmp_path / "my data").mkdir()
    write(tmp_path / "my data" / "t.csv.gz", gzip.compress(IRIS_LIKE.encode()))
    assert read_table("my data/t.csv.gz", "kind").features.shape == (30, 2)
    write(tmp_path / "my data" / "t.csv.gz.gz", gzip.compress(gzip.compress(IRIS_LIKE.encode())))
    message = refused(read_table, "my data/t.csv.gz.gz", "kind")
    assert message == ("my data/t.csv.gz.gz is a gzip-compressed file; blobclf reads CSV text only: decompress it "
                       "first: gzip -dc 'my data/t.csv.gz.gz' > 'my data/t.csv.gz'")
    assert refused(read_points, "my data/t.csv.gz.gz", ["a", "b"], ["x", "y", "z"], "kind") == message
    # the command given works
    import subprocess
    (tmp_path / "my data" / "t.csv.gz").unlink()
    subprocess.run(message.split("decompress it first: ")[1], shell=True, check=True, cwd=tmp_path)
    assert read_table("my data/t.csv.gz", "kind").features.shape == (30, 2)


@pytest.mark.parametrize("cell", ["inf", "-Infinity", "1e39"])
def test_an_infinite_feature_is_refused_with_its_fix_in_training_and_prediction(tmp_path, monkeypatch, cell):
    """The refusal named the cell but no fix; and nan, a missing value in training, was "not a finite number" in prediction."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", f"a,b,kind\n1,2,x\n{cell},3,y\n")
    fix = "write a number between -3.4e38 and 3.4e38, or remove the row (blobclf drops no row itself)"
    assert refused(read_table, "t.csv", "kind") == f"t.csv:3: column 'a' holds {cell!r}, not a finite float32 number; {fix}"
    assert refused(read_points, "t.csv", ["a", "b"], ["x", "y"], "kind") == f"t.csv:3: a={cell!r} is not a finite number; {fix}"
    write(tmp_path / "n.csv", "a,b,kind\n1,2,x\nNaN,3,y\n")
    assert refused(read_table, "n.csv", "kind").endswith("column 'a' has 1 missing value (first on line 3); fill them in or "
        "remove those rows, or leave those rows out with --data.missing drop")
    assert refused(read_points, "n.csv", ["a", "b"], ["x", "y"], "kind") == (
        "n.csv:3: a='NaN' is a missing value; fill it in or remove the row (blobclf drops no row itself)"
    )


def test_a_symbolic_link_is_read_as_its_table_and_a_broken_one_is_named(tmp_path, monkeypatch):
    """A link to a table reads as the table; a link whose table moved was "no such file", though the file is there."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", IRIS_LIKE)
    (tmp_path / "link.csv").symlink_to("t.csv")
    assert (read_table("link.csv", "kind").features == read_table("t.csv", "kind").features).all()
    (tmp_path / "broken.csv").symlink_to("moved/t.csv")
    message = "broken.csv is a symbolic link to moved/t.csv, which does not exist; give the table itself"
    assert refused(read_table, "broken.csv", "kind") == message
    assert refused(read_points, "broken.csv", ["a", "b"], ["x", "y", "z"], "kind") == message


def test_columns_separated_by_spaces_are_named_in_training_and_prediction(tmp_path, monkeypatch):
    """R's write.table (a space between columns, quoted names, row names): the refusal listed one odd column, no fix."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "r.txt", '"a" "b" "kind"\n' + "".join(f'"{i + 1}" {i % 7}.5 {i % 3} "{"xyz"[i % 3]}"\n' for i in range(9)))
    hint = ("the header's columns are separated by spaces, which blobclf does not split at (R's write.table, fixed-width "
            "text): save the table with ',' between columns (R: write.csv)")
    assert refused(read_table, "r.txt", "kind") == (
        f"r.txt: no target column 'kind'; the columns are: a \"b\" \"kind\" (choose one with --data.target); {hint}"
    )
    assert refused(read_points, "r.txt", ["a", "b"], ["x", "y", "z"], "kind").endswith(f"(the model's features: a, b); {hint}")


@pytest.mark.parametrize(
    ("cell", "plain"),
    [("\u22125.1", "-5.1"), ("1\u00a0234,5", "1234.5"), ("\u221212\u202f345\u202f678,25", "-12345678.25"), ("1 234.5", "1234.5")],
    ids=["typographic-minus", "no-break-space-groups", "narrow-space-groups", "space-groups"],
)
def test_numbers_as_spreadsheets_in_other_languages_write_them_are_told_how_to_write(tmp_path, monkeypatch, cell, plain):
    """French and other spreadsheets group digits by (no-break) spaces and may write a typographic minus: the fix was
    "leave the column out"."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", f"a;b;kind\n1;2;x\n{cell};3;y\n")
    fix = f"write it as {plain!r} (an ASCII '-', no spaces between digits, '.' as the decimal point)"
    assert refused(read_table, "t.csv", "kind") == f"t.csv:3: feature column 'a' holds {cell!r}, not a number; {fix}"
    assert refused(read_points, "t.csv", ["a", "b"], ["x", "y"], "kind") == f"t.csv:3: a={cell!r} is not a number; {fix}"


def test_windows_1252_text_is_named_with_the_command_that_converts_it(tmp_path, monkeypatch):
    """Excel's "CSV (Comma delimited)" on Windows: accents in cp1252 were "byte 0xe9; save the file as UTF-8" alone."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "longueur_sépale;largeur;espèce\r\n1,5;2;sétosa\r\n".replace(",", ".").encode("cp1252"))
    message = refused(read_table, "t.csv", "espèce")
    assert message == ("t.csv:1: not UTF-8 text (byte 0xe9, 'é' if the file is Windows-1252 / Latin-1); save it as UTF-8 "
                       "(\"CSV UTF-8\" in Excel), or convert it: iconv -f WINDOWS-1252 -t UTF-8 t.csv > t-utf8.csv")
    import shutil
    import subprocess

    if shutil.which("iconv"):
        subprocess.run(message.split("convert it: ")[1], shell=True, check=True, cwd=tmp_path)
        assert read_points("t-utf8.csv", ["longueur_sépale", "largeur"], ["sétosa"], "espèce").labels.tolist() == [0]


def test_decomposed_accents_are_the_same_names_and_classes(tmp_path, monkeypatch):
    """macOS tools may write "é" as "e" and a combining accent (NFD): "no target column 'espèce'; the columns are:
    ..., espèce", and "sétosa" in a prediction input was "not one of the model's classes (sétosa, ...)"."""
    import unicodedata

    from blobclf.tabledata import TableDataModule

    monkeypatch.chdir(tmp_path)
    composed = "longueur_sépale,b,espèce\n" + "".join(f"{i % 7}.5,{i % 3},{['sétosa', 'x'][i % 2]}\n" for i in range(20))
    write(tmp_path / "nfc.csv", composed)
    write(tmp_path / "nfd.csv", unicodedata.normalize("NFD", composed))
    modules = {}
    for file in ("nfc.csv", "nfd.csv"):
        for target in ("espèce", unicodedata.normalize("NFD", "espèce")):
            module = modules[file, target] = TableDataModule(file, target)
            module.setup("fit")
            assert module.hparams.target == "espèce" and module.feature_names == ["longueur_sépale", "b"]
            assert module.class_names == ["sétosa", "x"]
    first, *others = modules.values()
    for other in others:
        for split in ("train", "test"):
            assert all(torch.equal(a, b) for a, b in zip(first.split(split), other.split(split), strict=True))
    points = read_points("nfd.csv", ["longueur_sépale", "b"], ["sétosa", "x"], "espèce")
    assert points.labels.tolist() == [0, 1] * 10


@pytest.mark.parametrize(("labels", "pair"), [(["yes", "no", "Yes"], ("Yes", "yes")),
                                              (["1", "2", "01"], ("01", "1")),  # in class order
                                              (["a b", "c", "a  b"], ("a  b", "a b"))],
                         ids=["case", "number", "spaces"])
def test_classes_that_look_alike_are_named_in_a_note_and_trained_as_written(cli, labels, pair):
    rows = "".join(f"{i},{i % 5},{labels[i % 3]}\n" for i in range(60))
    write(cli.cwd / "t.csv", "a,b,kind\n" + rows)
    result = cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
                 "--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    assert (f"note: t.csv: the target column 'kind' holds the classes {pair[0]!r} and {pair[1]!r}, which differ only "
            "in case, spaces or how a number is written; they are trained as two classes (make them one in the file "
            "if they are one)") in result.output
    model = torch.load(cli.cwd / "checkpoints" / "version_0" / "last.ckpt", weights_only=True)
    assert sorted(model["hyper_parameters"]["class_names"]) == sorted(labels)


def test_distinct_classes_get_no_note(cli):
    write(cli.cwd / "t.csv", "a,b,kind\n" + "".join(f"{i},{i % 5},{'xyz'[i % 3]}\n" for i in range(60)))
    result = cli("fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
                 "--model.hidden_units", "16",  # not the tutorial's settings, which get a note of their own
                 "--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    assert "note:" not in result.output


@pytest.mark.parametrize("cell", ["-nan", "+NaN", "#N/A", "<NA>", "1.#IND", "-1.#QNAN", "\\N"])
def test_every_spelling_of_a_missing_value_that_tools_write_is_one(tmp_path, monkeypatch, cell):
    """pandas' other NA strings, C's -nan and MySQL's \\N were 'not a number' with the fix of leaving the column out,
    or 'not a finite number' (-nan); Excel's #N/A in the target became a class."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", f"a,b,kind\n1,2,x\n{cell},3,y\n4,5,x\n6,7,y\n")
    assert refused(read_table, "t.csv", "kind") == f"t.csv: {MISSING_A.format(3)}"
    assert refused(read_points, "t.csv", ["a", "b"], ["x", "y"], "kind") == (
        f"t.csv:3: a={cell!r} is a missing value; fill it in or remove the row (blobclf drops no row itself)"
    )
    write(tmp_path / "k.csv", f"a,b,kind\n1,2,x\n3,3,{cell}\n4,5,x\n6,7,y\n")
    assert refused(read_table, "k.csv", "kind") == (
        "k.csv: column 'kind' has 1 missing value (first on line 3); fill them in or "
        "remove those rows, or leave those rows out with --data.missing drop"
    )


@pytest.mark.parametrize("cell", ["#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "Err:502"])
def test_a_spreadsheets_error_value_is_named_as_one_in_features_and_target(tmp_path, monkeypatch, cell):
    """A formula's error (Excel's #DIV/0!, LibreOffice's Err:502) was 'not a number' with the fix of leaving a numeric
    column out, and in the target column it became a class of its own."""
    monkeypatch.chdir(tmp_path)
    fix = ("a spreadsheet's error value (its formula failed): correct the formula, or fill the cell in or remove the "
           "row (blobclf drops no row itself)")
    write(tmp_path / "t.csv", f"a,b,kind\n1,2,x\n{cell},3,y\n4,5,x\n6,7,y\n")
    assert refused(read_table, "t.csv", "kind") == f"t.csv:3: feature column 'a' holds {cell!r}, not a number; it is {fix}"
    assert refused(read_points, "t.csv", ["a", "b"], ["x", "y"], "kind") == f"t.csv:3: a={cell!r} is not a number; it is {fix}"
    write(tmp_path / "k.csv", f"a,b,kind\n1,2,x\n3,3,y\n4,5,{cell}\n6,7,y\n2,2,x\n")
    assert refused(read_table, "k.csv", "kind") == f"k.csv:4: the target column 'kind' holds {cell!r}, not a class but {fix}"


@pytest.mark.parametrize(("cell", "known"), [("1.0", "1"), ("Setosa", "setosa")])
def test_a_class_written_another_way_in_a_test_or_prediction_input_is_named(tmp_path, monkeypatch, cell, known):
    """A test table of classes 1.0, 2.0 (pandas writes an int column as float once it held a NaN) was refused as
    '1.0 is not one of the model's classes (0, 1, 2)', leaving the user to see that 1.0 is 1."""
    monkeypatch.chdir(tmp_path)
    classes = ["0", "1", "2"] if known == "1" else ["setosa", "virginica"]
    write(tmp_path / "t.csv", f"a,b,kind\n1,2,{classes[0]}\n3,4,{cell}\n")
    message = (f"t.csv:3: kind={cell!r} is not one of the model's classes ({', '.join(classes)}); it is the class "
               f"{known!r} written another way: write the classes as the training table does")
    assert refused(read_table, "t.csv", "kind", classes=classes) == message
    assert refused(read_points, "t.csv", ["a", "b"], classes, "kind") == message


def test_a_header_name_holding_a_line_break_is_one_name_in_training_and_prediction(tmp_path, monkeypatch):
    """Excel writes a header cell of two lines (Alt+Enter: ``Weight`` / ``(kg)``) quoted, with the line break inside:
    only the header's first line was read, so the table was refused for a target it has ('no target column 'kind';
    the columns are: Weight') or for a row it misread ('feature column 'Weight' holds ...')."""
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"{i}.5,{i % 3},{'xy'[i % 2]}\r\n" for i in range(6))
    plain = read_table(write(tmp_path / "plain.csv", "Weight (kg),b,kind\r\n" + rows), "kind")
    table = read_table(write(tmp_path / "t.csv", '"Weight\n(kg)",b,kind\r\n' + rows), "kind")
    assert table.feature_names == ["Weight\n(kg)", "b"] and table.classes == plain.classes
    assert (table.features == plain.features).all() and (table.labels == plain.labels).all()
    write(tmp_path / "last.csv", 'b;"Weight\n(kg)";"class\n""name"""\n' + rows.replace(",", ";"))
    last = read_table("last.csv", 'class\n"name"')
    assert last.feature_names == ["b", "Weight\n(kg)"] and last.features.tolist() == plain.features.tolist()
    write(tmp_path / "p.csv", 'b,"Weight\n(kg)"\n1,2.5\n0,3.5\n')
    points = read_points("p.csv", ["Weight\n(kg)", "b"], plain.classes, "kind")
    assert points.features.numpy().tolist() == [[2.5, 1.0], [3.5, 0.0]]
    # rows are numbered as in the file: the header takes lines 1 and 2
    write(tmp_path / "bad.csv", '"Weight\n(kg)",b,kind\n1,q,x\n')
    assert refused(read_table, "bad.csv", "kind").startswith("bad.csv:3: feature column 'b' holds 'q', not a number")
    # a quote inside an unquoted name opens nothing; one never closed is refused as before
    assert read_header(write(tmp_path / "inch.csv", 'height"in,b,kind\n1,2,x\n')).columns == ['height"in', "b", "kind"]
    write(tmp_path / "open.csv", '"Weight,b,kind\n1,2,x\n')
    assert refused(read_table, "open.csv", "kind") == (
        "open.csv:1: a quoted column name opens on this line and is not closed (the header runs on to the end of the "
        "file, line 2); close the quote"
    )


@pytest.mark.parametrize(
    "comment", ["# exported 2026-12-06", "# note, see above, x", "#,,"], ids=["footer", "with-commas", "hash-and-commas"]
)
def test_a_comment_line_among_the_rows_is_named_as_one_in_training_and_prediction(tmp_path, monkeypatch, comment):
    """A comment among the rows or at the end (an exporter's footer) was refused as a row of '1 columns, expected 3',
    or, holding commas, with the fix of leaving column 'a' out ("--data.features '[b]'"), which is not the fault."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "t.csv", "a,b,kind\n" + ROWS + comment + "\n" + ROWS)
    first = comment.split(",")[0]
    message = f"t.csv:8: the line starts with '#' ('{first}'): blobclf reads no comment lines, remove it"
    assert refused(read_table, "t.csv", "kind") == message
    assert refused(read_points, "t.csv", ["a", "b"], ["x", "y"], "kind") == message
    # a cell of a column of numbers written '#1' is no comment line
    write(tmp_path / "n.csv", "a,b,kind\n#1,2,x\n" + ROWS)
    assert refused(read_table, "n.csv", "kind") == (
        "n.csv:2: feature column 'a' holds '#1', not a number; to leave the column out, list the features: "
        "--data.features '[b]', or to one-hot encode it as categories, give --data.categorical '[a]'"
    )


def test_a_file_to_predict_has_its_numbers_echoed_as_it_writes_them(tmp_path):
    # 40 was echoed 40.0, 5,10 (with --data.decimal ,) as 5.1: the float32 read, not the cell
    path = tmp_path / "new.csv"
    path.write_text("b;a;id\n5,10;40;p\n-1e3; 7 ;q\n")
    points = read_points(path, ["a", "b"], ["x", "y"], decimal=",")
    assert points.features.tolist() == [[40.0, 5.099999904632568], [7.0, -1000.0]]
    header, rows = prediction_rows(points.features, torch.tensor([[0.5, 0.5]] * 2), points.labels,
                                   points.feature_names, ["x", "y"], points.carried, texts=points.texts)
    assert header[:3] == ["id", "a", "b"] and [row[:3] for row in rows] == [["p", "40", "5,10"], ["q", "7", "-1e3"]]
