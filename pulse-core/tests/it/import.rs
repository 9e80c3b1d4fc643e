//! The import format end to end: see `import_files` for bad input.
