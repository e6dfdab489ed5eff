#!/bin/sh
exec ./fuzz-helpdesk-parsers $(find "/work/main/../shared/corpus" -type f -name "*" ! -name "*.tsv" ! -name "*.md" 2>/dev/null | head -400)
