"""What an editor uses around the pipeline: a new issue from the last one, import from text and
.docx, page previews."""
