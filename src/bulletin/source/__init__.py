"""Stage 1, files → model: series.yaml, recipients.yaml and issue.md read into the pydantic model,
with every value's file and line kept for the messages of the later stages."""
