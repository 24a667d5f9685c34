"""Running untrusted student code: a pre-warmed fork server, a guarded worker, and the parent's client.

Layout, by who may touch what:
- ``client``: the grader's side. Copies the submission, talks to the fork server, never runs student code.
- ``zygote``: the fork server. A fresh interpreter that imports NumPy once and has never seen an answer;
  it supervises one worker per submission and enforces the time limits from outside.
- ``template``: the fork server's child that forks every worker; it holds code only, never a request or
  a reply, so no worker inherits another submission's data.
- ``disk``: the disk budget of a request's sandbox copy (a tmpfs in the fork server's mount namespace, or a
  watcher).
- ``worker`` and ``guard``: run inside the forked child, where the student's code runs.

Bottom layer with spec. May import only the base modules (grader.errors, grader.files, grader.record) and
itself: the worker must never be able to reach course data through an import.
"""
