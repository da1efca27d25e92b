"""Identity-leak detection: an answer that names a model, family or vendor breaks anonymity.

Such a vote is kept (the voter did nothing wrong) but excluded from the ratings, the side
and the matched term recorded in ``Battle.excluded_reason``. Only answers are searched: a
reasoning trace that names its model is shown only after the vote, so it cannot have
swayed it.

What counts (the vocabulary is ``battles.identity_vocabulary``, plus every registered
contender's codename, public name, organisation and provider model id):

- a side's *own* contender's names (unless the vocabulary knows them as ordinary words:
  a contender of organisation "Google" may say "search on Google"), and every strong
  term ("ChatGPT", "Claude 3", "llama-3-8b"), anywhere in an answer;
- ordinary words that are also names ("Pi", "Gemini", "Claude" Monet, another contender's
  plain-word codename such as "caramel") only where the answer introduces itself with
  them: "I am …", "my name is …", "developed by …", "… model", in several languages;
- never a term whose family the user's prompts name themselves: "Where do llamas live?"
  makes no llama in the answers a leak.

The pattern over all terms is compiled once per contender set and cached.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from arena.db.rows import select_rows, table
from arena.models import Contender
from battles.identity_vocabulary import VOCABULARY

# Shorter contender names ("Yi", "o1") match ordinary text too often to be evidence; the
# vocabulary lists the real ones with context rules.
MIN_TERM_CHARS = 3
# Letters that continue a word (Latin with accents, Cyrillic). CJK characters do not:
# "我是Claude" names Claude.
_WORD = r"A-Za-z0-9À-ɏЀ-ӿ"
_REASON_CHARS = 200

# The words that introduce a speaker, in English, Spanish, French, German, Portuguese,
# Italian, Russian, Chinese and Japanese.
_INTRODUCTIONS = (
    r"\bi\s*(?:am|'m|’m)", r"\bmy\s+name\s+is", r"\bmy\s+name['’]s", r"\bcall\s+me",
    r"\bsoy", r"\bme\s+llamo", r"\bmi\s+nombre\s+es",
    r"\bje\s+suis", r"\bje\s+m['’]appelle", r"\bmon\s+nom\s+est",
    r"\bich\s+bin", r"\bich\s+hei(?:ß|ss)e", r"\bmein\s+name\s+ist",
    r"\bsou", r"\bme\s+chamo", r"\bmeu\s+nome\s+é",
    r"\bsono", r"\bmi\s+chiamo",
    r"(?<![а-яё])я", r"меня\s+зовут", r"мо[её]\s+имя",
    r"我是", r"我叫", r"我的名字是", r"我的名字叫",
    r"私は", r"わたしは", r"僕は", r"私の名前は",
)  # fmt: skip
_MAKERS = (
    r"\b(?:developed|created|trained|built|made|designed|released|produced|engineered"
    r"|powered|provided)\s+by",
    r"\b(?:desarrollad|cread|entrenad|diseñad|hech)[oa]s?\s+por",
    r"\b(?:développé|créé|entraîné|conçu|fabriqué)e?s?\s+par",
    r"\b(?:entwickelt|erstellt|trainiert|gebaut|geschaffen|programmiert)\s+(?:von|durch)",
    r"\b(?:desenvolvid|criad|treinad|feit|projetad)[oa]s?\s+(?:por|pela|pelo)",
    r"\b(?:sviluppat|creat|addestrat)[oaie]\s+da",
    r"(?:разработан|создан|обучен|сделан)[аоы]?(?:\s+компанией)?",
    r"由",
)
# What may stand between an introduction and the name: "I am an AI assistant called …".
_FILLER = (
    r"(?:\s*[-—–:,]?\s*(?:a|an|the|un|una|uno|le|la|l['’]|el|ein|eine|um|uma|o|il|lo|"
    r"ai|ia|ki|ии|helpful|large|language|model|modelo|modèle|modell|modello|assistant|"
    r"asistente|assistente|assistent|ассистент|модель|chatbot|called|named|llamado|"
    r"llamada|appelé|appelée|namens|chamado|chamada|version|versión|the\s+company)"
    r"(?=\s|$)){0,5}\s*(?:一个|一款|名为|叫做|叫)?\s*[-—–:]?\s*"
)
_BEFORE = re.compile(
    r"(?:" + "|".join(_INTRODUCTIONS) + r")" + _FILLER + r"$", re.IGNORECASE
)
_BEFORE_MAKER = re.compile(
    r"(?:" + "|".join(_MAKERS) + r")\s*(?:the\s+)?(?:company\s+)?$", re.IGNORECASE
)
_AFTER = re.compile(
    r"^(?:['’]s)?\s*(?:(?:ai|llm|chatbot|assistant|language\s+model|model|models)\b"
    r"|によって|が開発|开发|训练|研发|公司|模型|разработ)",
    re.IGNORECASE,
)
# "I am Claude Monet": an ordinary name followed by a surname is a person, not a model.
_SURNAME = re.compile(r"^\s+[A-Z][a-z]+")
_WINDOW = 120


@dataclass(frozen=True)
class _Name:
    """One spelling an answer may name a model by."""

    text: str
    key: str  # prompts naming the key make the name no evidence
    strong: bool
    case_sensitive: bool
    owners: frozenset[int] = frozenset()  # contenders it belongs to
    exact: re.Pattern[str] | None = None  # a case-sensitive family's own pattern

    def written_so(self, found: str) -> bool:
        if not self.case_sensitive:
            return True
        return bool(self.exact.fullmatch(found)) if self.exact else found == self.text


@dataclass(frozen=True)
class Leak:
    side: str
    term: str


ContenderNames = tuple[int, str, str, str, str]  # id, codename, public, organisation, model


def contender_names(contender: Contender) -> ContenderNames:
    return (
        contender.pk or 0,
        contender.codename,
        contender.public_name,
        contender.organisation,
        contender.provider_model,
    )


def identity_terms(contender: Contender | ContenderNames) -> list[str]:
    """The names a contender could give itself away by, longest first."""
    _, codename, public_name, organisation, model = (
        contender_names(contender) if isinstance(contender, Contender) else contender
    )
    terms = {codename, public_name, organisation}
    # "meta-llama/Llama-3-8B" -> also "Llama-3-8B"; models rarely say the org path.
    terms.update({model, model.rsplit("/", 1)[-1]})
    # Codenames are slugs; an answer would write "big-bird" as "big bird" just as often.
    terms.add(codename.replace("-", " ").replace("_", " "))
    usable = {t.strip() for t in terms if len(t.strip()) >= MIN_TERM_CHARS}
    return sorted(usable, key=lambda term: (-len(term), term))


def _distinctive(term: str) -> bool:
    """A name no ordinary sentence contains: digits, inner capitals, joiners ("gpt-4o",
    "ChatGPT", "big-bird"); a plain word ("caramel", "Vanilla") is not."""
    return bool(re.search(r"[\d\-_./+]|[a-z][A-Z]", term))


class IdentityMatcher:
    """All identity names of one contender set, compiled into one pattern."""

    def __init__(self, contenders: Iterable[ContenderNames]) -> None:
        literals: dict[str, list[_Name]] = {}
        owners: dict[str, set[int]] = {}
        spelled: dict[str, str] = {}
        self._families: list[tuple[re.Pattern[str], _Name]] = []
        for term in VOCABULARY:
            if term.regex:
                exact = re.compile(term.text) if term.case_sensitive else None
                name = _Name(term.text, term.key, term.strong, term.case_sensitive, exact=exact)
                self._families.append((re.compile(term.text, re.IGNORECASE), name))
            else:
                name = _Name(term.text, term.key, term.strong, term.case_sensitive)
                literals.setdefault(term.text.lower(), []).append(name)
        for names in contenders:
            for text in identity_terms(names):
                owners.setdefault(text.lower(), set()).add(names[0])
                spelled.setdefault(text.lower(), text)
        for folded, ids in owners.items():
            strong = _distinctive(spelled[folded])
            literals.setdefault(folded, []).append(
                _Name(folded, folded, strong, False, frozenset(ids))
            )
        self._literals = literals
        # The literals as one trie-shaped pattern: a long alternation of hundreds of
        # names is tried name by name at every position; a trie reads each character once.
        alternatives = [p.pattern for p, _ in self._families] + [_trie_pattern(literals)]
        self.pattern = re.compile(
            rf"(?<![{_WORD}])(?:" + "|".join(alternatives) + rf")(?![{_WORD}])", re.IGNORECASE
        )

    def _candidates(self, found: str) -> list[_Name]:
        named = list(self._literals.get(found.lower(), []))
        return named + [n for p, n in self._families if p.fullmatch(found)]

    def _family_of(self, found: str) -> set[str]:
        return {name.key for name in self._candidates(found)}

    def prompt_keys(self, prompts: Iterable[str]) -> set[str]:
        """The families the user's prompts name, in any case."""
        keys: set[str] = set()
        for prompt in prompts:
            for match in self.pattern.finditer(prompt):
                keys |= self._family_of(match.group())
        return keys

    def find_leak(self, text: str, contender_id: int, prompt_keys: set[str]) -> str:
        """The first name in ``text`` that gives a model away, or ``""``."""
        for match in self.pattern.finditer(text):
            found = match.group()
            named = self._candidates(found)
            candidates = [name for name in named if name.written_so(found)]
            if not candidates or any(name.key in prompt_keys for name in named):
                continue
            if any(n.strong and not n.owners for n in candidates):
                return found  # the vocabulary's unmistakable names
            # A contender whose organisation is "Google" may still say "search on Google":
            # a name the vocabulary knows as an ordinary word needs an introduction.
            ordinary = any(not n.strong and not n.owners for n in named)
            if not ordinary and any(n.strong or contender_id in n.owners for n in candidates):
                return found
            if _introduces_itself(text, match.start(), match.end()):
                return found
        return ""

    def leaks(self, prompts: Sequence[str], answers: Iterable[tuple[str, str, int]]) -> list[Leak]:
        """One leak per side (``a``/``b``) of ``answers`` = ``(side, text, contender id)``."""
        keys = self.prompt_keys(prompts)
        found: dict[str, str] = {}
        for side, text, contender_id in answers:
            if side in found:
                continue
            term = self.find_leak(text, contender_id, keys)
            if term:
                found[side] = term
        return [Leak(side, found[side]) for side in sorted(found)]


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching exactly ``words``, longest first, factored by common prefixes."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = [re.escape(char) + pattern(child) for char, child in node.items() if char]
        if not branches:
            return ""
        if len(branches) == 1 and "" not in node:
            return branches[0]
        return "(?:" + "|".join(branches) + (")?" if "" in node else ")")

    return pattern(trie)


def _introduces_itself(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - _WINDOW) : start]
    after = text[end : end + _WINDOW]
    if _BEFORE_MAKER.search(before) or _AFTER.search(after):
        return True
    return bool(_BEFORE.search(before)) and not _SURNAME.search(after)


@lru_cache(maxsize=4)
def _matcher(contenders: tuple[ContenderNames, ...]) -> IdentityMatcher:
    return IdentityMatcher(contenders)


def matcher_for(contenders: Iterable[ContenderNames]) -> IdentityMatcher:
    """The compiled matcher of this contender set (built once per set of names)."""
    return _matcher(tuple(sorted(contenders)))


def registered_names() -> list[ContenderNames]:
    """Every registered contender's names: one small query (the matcher's cache key),
    read in every vote transaction, so in hand-written SQL."""
    return select_rows(
        "SELECT id, codename, public_name, organisation, provider_model "
        f"FROM {table(Contender)} ORDER BY id"
    )


def leak_reason(leaks: Sequence[Leak]) -> str:
    """The ``excluded_reason`` for leaking sides, or ``""`` when nothing leaked."""
    if not leaks:
        return ""
    label = "side" if len(leaks) == 1 else "sides"
    named = ", ".join(f'{leak.side} names "{leak.term}"' for leak in leaks)
    return f"identity leak: {label} {named}"[:_REASON_CHARS]
