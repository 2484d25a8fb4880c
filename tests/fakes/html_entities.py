"""A validator of Telegram's HTML parse mode, modelled on tdlib's ``do_parse_html``.

The parser works on UTF-8 bytes like tdlib does, so the "byte offset" in error messages is the
same number Telegram would report.  It returns the text with the markup removed and entities
unescaped, plus the Bot API ``MessageEntity`` dicts (offsets in UTF-16 code units).

``strict=True`` (the default) is stricter than Telegram on purpose: Telegram passes a bare ``&``
or ``>`` through and accepts ``&lt`` without a semicolon and ``<a>`` without ``href``, but a bot
that relies on that is one user-supplied ``<`` away from "can't parse entities".  Strict mode
turns every such case into a failure so that a missing ``html.escape`` shows up in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["EntityParseError", "ParsedText", "parse_html", "utf16_len"]

ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}

_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}

# tdlib's is_space(); NUL counts as a space, which is also how the end of the text is detected.
_SPACES = frozenset(b" \t\r\n\v\0")
_NAME_TOKEN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")


class EntityParseError(ValueError):
    """The HTML was refused; ``str(error)`` is Telegram's text after "can't parse entities: "."""


@dataclass(frozen=True)
class ParsedText:
    """Text with the markup removed and the entities Telegram would attach to it."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def utf16_length(self) -> int:
        """Length of ``text`` in UTF-16 code units, the unit of all Telegram limits."""
        return utf16_len(self.text)


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (what Telegram counts)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    char_offset: int
    expandable: bool = False


class _Parser:
    def __init__(self, source: str, *, strict: bool) -> None:
        self.data = source.encode("utf-8", "surrogatepass")
        self.strict = strict
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.chars = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def at(self, index: int) -> int:
        """The byte at ``index``, or 0 past the end (tdlib reads a NUL-terminated string)."""
        return self.data[index] if index < len(self.data) else 0

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16 += utf16_len(text)
        self.chars += len(text)

    def decode_entity(self, pos: int) -> tuple[str, int] | None:
        """Decode the character reference at ``pos`` (an ``&``); return it and the end index."""
        end = pos + 1
        if self.at(end) == ord("#"):
            end += 1
            hexadecimal = self.at(end) == ord("x")
            digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
            if hexadecimal:
                end += 1
            start = end
            while self.at(end) and self.at(end) in digits:
                end += 1
            if end == start or end - pos >= 10:
                return None
            code = int(self.data[start:end], 16 if hexadecimal else 10)
            if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                return None
            char = chr(code)
        else:
            while chr(self.at(end)).isascii() and chr(self.at(end)).isalpha():
                end += 1
            named = _NAMED_ENTITIES.get(self.data[pos + 1 : end])
            if named is None:
                return None
            char = named
        if self.at(end) == ord(";"):
            return char, end + 1
        if self.strict:
            # Telegram accepts "&lt" without ";", html.escape never produces it.
            return None
        return char, end

    def unescaped(self, char: str, pos: int) -> EntityParseError:
        escaped = {"&": "&amp;", ">": "&gt;", "<": "&lt;"}[char]
        return EntityParseError(
            f'Unescaped "{char}" at byte offset {pos} (strict fake: escape it as {escaped})'
        )

    def parse(self) -> ParsedText:
        data = self.data
        while self.pos < len(data):
            c = data[self.pos]
            if c == ord("&"):
                decoded = self.decode_entity(self.pos)
                if decoded is not None:
                    self.emit(decoded[0])
                    self.pos = decoded[1]
                    continue
                if self.strict:
                    raise self.unescaped("&", self.pos)
            if c != ord("<"):
                if c == ord(">") and self.strict:
                    raise self.unescaped(">", self.pos)
                # Copy a whole UTF-8 sequence at once so that utf16 counting stays simple.
                end = self.pos + 1
                while end < len(data) and data[end] & 0xC0 == 0x80:
                    end += 1
                self.emit(data[self.pos : end].decode("utf-8", "surrogatepass"))
                self.pos = end
                continue
            if self.at(self.pos + 1) == ord("/"):
                self.end_tag()
            else:
                self.start_tag()
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        for entity in self.entities:
            if entity["type"] == "code":
                # A language only survives on a <code> directly inside <pre>.
                entity.pop("language", None)
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def start_tag(self) -> None:
        begin = self.pos
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        if self.at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        tag = data_lower(self.data[begin + 1 : i])
        if tag not in ALLOWED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        opened = _OpenTag(tag, "", self.utf16, self.chars)
        has_href = False
        while self.at(i) != ord(">"):
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == ord(">"):
                break
            if self.at(i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            name_begin = i
            while self.at(i) not in _SPACES and self.at(i) not in (ord("="), ord(">")):
                i += 1
            name = data_lower(self.data[name_begin:i])
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
                )
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) != ord("="):
                if self.at(i) == 0:
                    raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
                if tag == "blockquote" and name == "expandable":
                    opened.expandable = True
                continue
            i += 1
            while self.at(i) != 0 and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
            value, i = self.attribute_value(i, begin)
            if tag == "a" and name == "href":
                opened.argument = value
                has_href = True
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                opened.argument = value[3:]
            elif tag == "tg-emoji" and name == "emoji-id":
                opened.argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                opened.argument = value[len("language-") :]
        if tag == "span" and opened.argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
            )
        if tag == "a" and not has_href and self.strict:
            raise EntityParseError(
                f'Tag "a" must have attribute "href" at byte offset {begin} (strict fake)'
            )
        if tag == "tg-emoji" and not opened.argument.isdigit():
            raise EntityParseError("Invalid custom emoji identifier specified")
        self.stack.append(opened)
        self.pos = i + 1

    def attribute_value(self, i: int, tag_begin: int) -> tuple[str, int]:
        """Parse a quoted string or a name token starting at ``i``; return it and the end."""
        quote = self.at(i)
        if quote not in (ord("'"), ord('"')):
            token_begin = i
            while self.at(i) != 0 and self.at(i) in _NAME_TOKEN:
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != ord(">"):
                raise EntityParseError(f"Unexpected end of name token at byte offset {i}")
            return data_lower(self.data[token_begin:i]), i
        i += 1
        parts: list[str] = []
        chunk_begin = i
        while self.at(i) != quote and self.at(i) != 0:
            if self.at(i) == ord("&"):
                decoded = self.decode_entity(i)
                if decoded is not None:
                    parts.append(self.data[chunk_begin:i].decode("utf-8", "replace"))
                    parts.append(decoded[0])
                    i = chunk_begin = decoded[1]
                    continue
                if self.strict:
                    raise self.unescaped("&", i)
            i += 1
        if self.at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {tag_begin}")
        parts.append(self.data[chunk_begin:i].decode("utf-8", "replace"))
        return "".join(parts), i + 1

    def end_tag(self) -> None:
        begin = self.pos
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        # Unlike start tags, end tag names are compared case-sensitively by tdlib.
        end_name = self.data[begin + 2 : i].decode("utf-8", "replace")
        while self.at(i) != 0 and self.at(i) in _SPACES:
            i += 1
        if self.at(i) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        opened = self.stack[-1]
        if end_name and end_name != opened.name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.name}>", '
                f'found "</{end_name}>"'
            )
        self.stack.pop()
        self.pos = i + 1
        self.add_entity(opened)

    def add_entity(self, opened: _OpenTag) -> None:
        length = self.utf16 - opened.utf16_offset
        if length <= 0:
            return  # Telegram drops empty entities silently.
        entity: dict[str, Any] = {"offset": opened.utf16_offset, "length": length}
        if opened.name == "a":
            url = opened.argument or "".join(self.out)[opened.char_offset :]
            entity.update(type="text_link", url=url)
        elif opened.name == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        elif opened.name == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.expandable else "blockquote"
        elif opened.name == "code" and opened.argument:
            # <pre><code class="language-x"> becomes one pre entity with a language.
            entity["type"] = "code"
            entity["language"] = opened.argument
        elif opened.name == "pre":
            entity["type"] = "pre"
            inner = next(
                (
                    e
                    for e in self.entities
                    if e.get("type") == "code"
                    and "language" in e
                    and e["offset"] == entity["offset"]
                    and e["length"] == length
                ),
                None,
            )
            if inner is not None:
                self.entities.remove(inner)
                entity["language"] = inner["language"]
        else:
            entity["type"] = _ENTITY_TYPES[opened.name]
        self.entities.append(entity)


def data_lower(raw: bytes) -> str:
    """Decode a tag or attribute name and lower-case it (HTML names are case-insensitive)."""
    return raw.decode("utf-8", "replace").lower()


def parse_html(source: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram HTML; raise EntityParseError with Telegram's wording when it is refused."""
    return _Parser(source, strict=strict).parse()
