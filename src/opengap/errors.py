"""The library's own exception classes; the CLI and the web layer convert them in one place."""


class OpengapError(Exception):
    """Base class: a problem with the user's input, reported as one line (exit code 2)."""


class MalformedFile(OpengapError):
    """A file could not be read as the format it was given as."""


class MissingPath(OpengapError):
    """A path named on the command line does not exist."""


class UnknownKind(OpengapError):
    """An import kind that opengap has no reader for."""


class UnknownModel(OpengapError):
    """A model name or alias that resolves to no model in the store."""


class UnknownBenchmark(OpengapError):
    """A benchmark name or alias that resolves to no benchmark in the store."""


class RejectedRows(OpengapError):
    """A strict import met rows it had to reject; nothing was imported."""


class SchemaVersionError(OpengapError):
    """A store file written by a newer (unknown) schema version."""


class BadConfiguration(OpengapError):
    """A fit, gap or report configuration that cannot be honoured."""


class UnidentifiedFit(OpengapError):
    """The data leave the capability scale unidentified (e.g. disconnected benchmarks)."""


class NoFit(OpengapError):
    """No stored fit matches the request."""


class BadArgument(OpengapError):
    """An argument out of its allowed range (a date outside the data, an unknown group...)."""


class MissingStore(OpengapError):
    """A command that reads a store was pointed at a file that does not exist."""


class StoreInUse(OpengapError):
    """Another process (an import, a fit, the dashboard) held the store for too long."""


class ConflictingData(OpengapError):
    """An import contradicts itself or the store (e.g. a new ceiling below stored scores)."""
