"""Customer documents in folders (F17): the rules, with no HTTP and no commits in them.

- `access`: who sees which customer's documents, lookups that find only the customer's rows
- `folders`: the folder tree, folder names and nesting
- `files`: limits, listing, checking an upload, free names, removing objects
- `objects`: stored objects follow their transaction (hooks installed from `create_app`)
- `consistency`: the file store against the rows (`flask documents check`)

The writes are the commands in `app/commands/documents.py`. Nothing lost, nothing orphaned —
the order of every write:
- upload: check every file first (nothing written on a refusal), store the objects, then write
  the rows in the command's transaction. A failing store removes what it had stored and writes
  no row; a rolled-back transaction removes the stored objects (`objects.remove_after_rollback`).
- delete (a file, a folder with its contents, or a whole customer): commit the row deletions,
  then remove the objects (`objects.remove_after_commit`). A store that fails then leaves an
  unreferenced object, never a row without its file; `flask documents check --repair` finds
  and removes such leftovers either way.
"""

from .access import (
    all_documents,
    as_int,
    get_document,
    get_folder,
    may_see_documents,
    target_folder,
    visible_customer,
)
from .consistency import CheckReport, MissingObject, check_documents, repair_findings
from .errors import DocumentError, DocumentInvalid, FolderNotEmpty, NotSaved, RepairRefused, StoreUnavailable
from .files import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_FILES,
    SORTS,
    check_files,
    file_name,
    free_name,
    list_documents,
    max_file_bytes,
    max_files,
    names_in,
    remove_objects,
)
from .folders import (
    MAX_FOLDER_DEPTH,
    FolderNode,
    customer_folders,
    folder_contents,
    folder_name,
    folder_path,
    folder_tree,
    subfolders,
    subtree_ids,
)
from .objects import install_document_hooks, remove_after_commit, remove_after_rollback

__all__ = [
    "DEFAULT_MAX_BYTES", "DEFAULT_MAX_FILES", "MAX_FOLDER_DEPTH", "SORTS", "CheckReport", "DocumentError",
    "DocumentInvalid", "FolderNode", "FolderNotEmpty", "MissingObject", "NotSaved", "RepairRefused",
    "StoreUnavailable", "all_documents", "as_int", "check_documents", "check_files", "customer_folders",
    "file_name", "folder_contents", "folder_name", "folder_path", "folder_tree", "free_name", "get_document",
    "get_folder", "install_document_hooks", "list_documents", "max_file_bytes", "max_files", "may_see_documents",
    "names_in", "remove_after_commit", "remove_after_rollback", "remove_objects", "repair_findings",
    "subfolders", "subtree_ids", "target_folder", "visible_customer",
]
