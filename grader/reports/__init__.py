"""Every view of the one result record: text, Markdown, HTML, JSON (render, views) and machine formats (formats/).

May import: grader.record, grader.spec (titles, number formatting), grader.errors, grader.files. Never judge,
never the sandbox: a report is a function of the record alone.
"""
