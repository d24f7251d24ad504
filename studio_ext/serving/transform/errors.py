"""The transform's two errors: TransformError for its callers, RowError inside a worker."""


class TransformError(RuntimeError):
    """A row that cannot be scored (the message has file, row and column) or unreadable input."""


class RowError(Exception):
    """A bad row of a worker's chunk: `row` counts data rows from the chunk's first (-1: no one row
    is to blame). It never leaves the worker: the worker sends (row, message) back and the parent
    turns the chunk's row into the file's."""

    def __init__(self, row: int, message: str):
        super().__init__(message)
        self.row, self.message = row, message
