#!/usr/bin/env python3
"""Fill empty Chinese entries of the catalog from JSON files of {English msgid: 简体中文}.

Usage (after `make translations` extracted the new msgids):
    .venv/bin/python scripts/fill_translations.py hospitality/translations/pending/*.json
    make translations        # compiles the .mo files

A plural entry is keyed by its singular msgid (Chinese has one form); an entry with a message context
(pgettext) by "context|msgid". It prints the msgids still empty,
and exits 1 while any remain; a translation whose %(placeholders)s differ from the msgid is refused.
"""
import json
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "hospitality/translations/zh_Hans/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")


def main(paths: list[str]) -> int:
    mapping: dict[str, str] = {}
    for path in paths:
        mapping |= json.loads(Path(path).read_text(encoding="utf-8"))
    with PO.open("rb") as f:
        catalog = read_po(f, locale="zh_Hans")
    filled, missing, refused = 0, [], []
    for msg in catalog:
        if not msg.id:
            continue
        key = msg.id if isinstance(msg.id, str) else msg.id[0]
        if msg.context:
            key = f"{msg.context}|{key}"
        current = msg.string if isinstance(msg.string, str) else (msg.string[0] if msg.string else "")
        if current:
            continue
        zh = mapping.get(key)
        if not zh:
            missing.append(key)
            continue
        wanted = set(PLACEHOLDER.findall(key if isinstance(msg.id, str) else msg.id[1])) | set(
            PLACEHOLDER.findall(key))
        if set(PLACEHOLDER.findall(zh)) - wanted or (isinstance(msg.id, str) and
                                                     set(PLACEHOLDER.findall(key)) - set(PLACEHOLDER.findall(zh))):
            refused.append(key)
            continue
        msg.string = zh if isinstance(msg.id, str) else (zh,)
        filled += 1
    with PO.open("wb") as f:
        write_po(f, catalog, width=None, sort_by_file=True, ignore_obsolete=True)
    print(f"filled {filled}; placeholders differ: {len(refused)}; still empty: {len(missing)}")
    for key in refused:
        print("  placeholders differ:", key)
    for key in missing:
        print("  empty:", key)
    return 1 if missing or refused else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
