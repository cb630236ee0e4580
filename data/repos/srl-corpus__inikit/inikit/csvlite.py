"""A small CSV reader and writer with quoting, typed columns and simple queries."""

from __future__ import annotations


class CsvError(ValueError):
    """Raised for malformed CSV rows."""


def split_row(line, delimiter=","):
    """Split one CSV line into fields; double quotes protect delimiters, ``""`` is a literal quote."""
    fields = []
    current = []
    in_quotes = False
    index = 0
    while index < len(line):
        char = line[index]
        if in_quotes:
            if char == '"':
                if index + 1 < len(line) and line[index + 1] == '"':
                    current.append('"')
                    index += 1
                else:
                    in_quotes = False
            else:
                current.append(char)
        elif char == '"':
            in_quotes = True
        elif char == delimiter:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    if in_quotes:
        raise CsvError(f"unterminated quote in {line!r}")
    fields.append("".join(current))
    return fields


def quote_field(value, delimiter=","):
    """Quote a field when it holds the delimiter, a quote or a newline."""
    text = str(value)
    if delimiter in text or '"' in text or "\n" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def convert(value):
    """Turn a field into int or float when it looks like one; empty string becomes None."""
    if value == "":
        return None
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return value


class Table:
    """Rows of dicts keyed by the header."""

    def __init__(self, header, rows):
        self.header = list(header)
        self.rows = [dict(row) for row in rows]

    def __len__(self):
        return len(self.rows)

    def column(self, name):
        if name not in self.header:
            raise KeyError(name)
        return [row[name] for row in self.rows]

    def where(self, name, value):
        """A new table with the rows whose ``name`` column equals ``value``."""
        return Table(self.header, [row for row in self.rows if row.get(name) == value])

    def sort_by(self, name, reverse=False):
        """A new table sorted by one column; None values sort last."""
        present = [row for row in self.rows if row.get(name) is not None]
        missing = [row for row in self.rows if row.get(name) is None]
        present.sort(key=lambda row: row[name], reverse=reverse)
        return Table(self.header, present + missing)

    def total(self, name):
        """Sum of a numeric column, skipping None."""
        return sum(value for value in self.column(name) if value is not None)

    def group_count(self, name):
        """How many rows have each value of a column, in first-seen order."""
        counts = {}
        for row in self.rows:
            counts[row[name]] = counts.get(row[name], 0) + 1
        return counts


def read_csv(text, delimiter=",", typed=True):
    """Parse CSV text with a header line into a :class:`Table`."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise CsvError("no header line")
    header = [name.strip() for name in split_row(lines[0], delimiter)]
    if len(set(header)) != len(header):
        raise CsvError("duplicate column names")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = split_row(line, delimiter)
        if len(fields) != len(header):
            raise CsvError(f"line {number}: expected {len(header)} fields, got {len(fields)}")
        values = [convert(field) if typed else field for field in fields]
        rows.append(dict(zip(header, values, strict=False)))
    return Table(header, rows)


def write_csv(table, delimiter=","):
    """Render a :class:`Table` as CSV text; None becomes an empty field."""
    lines = [delimiter.join(quote_field(name, delimiter) for name in table.header)]
    for row in table.rows:
        cells = ["" if row.get(name) is None else quote_field(row[name], delimiter) for name in table.header]
        lines.append(delimiter.join(cells))
    return "\n".join(lines) + "\n"
