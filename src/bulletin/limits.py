"""Every bound on input size, in one place. Each is checked before the work it protects, and
exceeding it is a located problem (file, line, what, how to fix), never a slow or huge run.

The figures are far above what a real bulletin needs (the sample: a 40 KB issue.md, titles of
at most 40 characters, paragraphs under 600) and low enough that the worst input within them
stays bounded in time and memory on a small machine.
"""
from __future__ import annotations

# Text files an editor writes.
MAX_ISSUE_BYTES = 1_000_000  # issue.md: ~330 000 Chinese characters, ~1 000 pages; renders in < 1 min
MAX_YAML_BYTES = 256_000  # series.yaml, recipients.yaml (hundreds of bodies take ~50 KB; PyYAML reads ~60 KB/s at worst)
MAX_FRONT_MATTER_BYTES = 64_000  # the YAML at the top of issue.md (the sample's: 1 KB)
MAX_YAML_DEPTH = 20  # nesting of lists and mappings in any YAML (the formats need 4)
MAX_SEND_LOG_BYTES = 50_000_000  # sent-log.jsonl: one short line per delivery

# Parts of an issue.
MAX_TITLE_CHARS = 200  # 标题 (a three-line title is about 60 characters)
MAX_LINE_FIELD_CHARS = 200  # 引题, 副题, 署名, 栏目名: one printed line or two
MAX_PARAGRAPH_CHARS = 10_000  # one paragraph, list item, table cell or caption (about 14 pages)
MAX_TABLE_COLUMNS = 30
MAX_TABLE_CELLS = 10_000  # all tables of an issue together: 1 000 rows of 10 take ~20 s to lay out
MAX_SERIES_WORDS = 20_000  # names titles never break (series.yaml words: and words.txt together)
MAX_PRINT_RUN = 10_000  # 共印×份: `distribute` makes one numbered page 1 per copy (~0.1 MB each)

# Pictures (also checked by the editor's upload).
MAX_IMAGE_BYTES = 20 * 10**6  # a full A4 page at 300 dpi is 2–5 MB as JPEG
MAX_IMAGE_PIXELS = 100 * 10**6  # 10 000 × 10 000; a decoded picture costs 3–4 bytes a pixel
MAX_FIGURES = 200  # pictures in one issue
MAX_IMAGES_TOTAL_BYTES = 200 * 10**6  # all pictures of an issue: they are all embedded in the PDF

# Word files (bulletin import, the editor's import).
MAX_IMPORT_BYTES = 20 * 10**6  # the file as uploaded or read
MAX_DOCX_UNCOMPRESSED = 100 * 10**6  # all parts together, unpacked
MAX_DOCX_XML = 20 * 10**6  # any one XML part (word/document.xml holds the text)
MAX_DOCX_RATIO = 100  # unpacked / packed size of an XML part (real documents: 3–15)

# The browser editor.
MAX_REQUEST_BYTES = 4 * 10**6  # any request body other than an upload (an issue as JSON)
MAX_UPLOAD_BYTES = MAX_IMPORT_BYTES + 100_000  # a multipart upload: the file and its form fields
HEAVY_JOBS_QUEUED = 8  # imports and checks waiting for the editor's two workers; more: “busy”
IMPORT_SECONDS = 60  # an import that takes longer is stopped
IMPORT_MEMORY_BYTES = 1_500 * 10**6  # address space of the process that reads a Word file
