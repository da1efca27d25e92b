"""Identity questions: a prompt that asks a model who or what it is, who made it, or its
name or version. The answers to such a prompt reveal the models, so the vote is kept but
not counted (reason ``"identity question"``), and the voter is told why after voting.

English, Spanish, French, German, Portuguese, Italian, Russian, Chinese and Japanese.
Judgement calls (tests/battles/test_identity_questions.py holds the cases):

- "who are you" / "what are you" count only as a whole question ("Who are you?", "who are
  you, really"), not as the start of another one ("Who are you going to vote for in the
  story?", "What are you doing tonight?");
- "what is your name" counts even inside a role-play prompt: we cannot tell a character
  from the model, and wrongly keeping a vote on an identity probe costs the leaderboard
  more than wrongly dropping one honest vote;
- a quoted question counts too ("Translate 'Who are you?' into French"): the answers may
  still introduce the models, and the text gives no reliable way to tell;
- "are you ChatGPT?" style guesses count for the model families of the vocabulary (not
  for vendors that are everyday words: "are you a Google user?").
"""

import re

# A question ends here: punctuation, the end, or a word that only intensifies it.
_END = r"(?=\s*(?:[?？!！.,;:。，、)]|$|\s(?:really|exactly|actually|anyway|then)\b))"
_MAKE_EN = r"(?:made|make|created|create|built|build|trained|train|developed|develop|designed)"
_FAMILIES = (
    r"(?:chat\s*gpt|gpt[- ]?\d*o?|openai|claude|anthropic|gemini|bard|llama|"
    r"mistral|mixtral|grok|deepseek|qwen|tongyi|glm|kimi|ernie|copilot|phi|yi|nova|"
    r"command[- ]r|cohere|nemotron|jamba|reka|pi)"
)

_PATTERNS = (
    # English
    rf"\bwho\s+(?:are|r)\s+(?:you|u|ya)\b{_END}",
    rf"\bwhat\s+(?:are|r)\s+(?:you|u)\b{_END}",
    rf"\bwho\s+you\s+(?:are|really\s+are)\b{_END}",
    rf"\bwho\s+(?:\w+\s+)?{_MAKE_EN}\s+(?:you|u)\b",
    r"\bwho\s+is\s+your\s+(?:creator|maker|developer|owner|author|company|parent\s+company)\b",
    r"\bwhat(?:'s|’s|\s+is)\s+your\s+(?:real\s+|actual\s+|full\s+)?(?:name|model|version"
    r"|model\s+name|model\s+version|knowledge\s+cutoff)\b",
    r"\bwhat\s+(?:should\s+i\s+)?call\s+you\b",
    r"\b(?:which|what)\s+(?:\w+\s+)?(?:model|llm|ai|version|company|chatbot|language\s+model)"
    r"\s+(?:are\s+you|is\s+this|am\s+i\s+(?:talking|speaking|chatting)|made\s+you"
    r"|built\s+you|trained\s+you|created\s+you|developed\s+you|powers\s+you)\b",
    r"\bwho\s+am\s+i\s+(?:talking|speaking|chatting)\s+(?:to|with)\b",
    r"\b(?:introduce|describe)\s+yourself\b",
    r"\btell\s+me\s+(?:about\s+yourself|your\s+name|who\s+you\s+are)\b",
    rf"\bare\s+(?:you|u)\s+(?:an?\s+)?{_FAMILIES}\b",
    r"\byour\s+name\s*\?",
    # Spanish
    rf"\bqui[ée]n\s+eres(?:\s+t[úu])?\b{_END}",
    rf"\bqu[ée]\s+eres(?:\s+t[úu])?\b{_END}",
    r"\bc[óo]mo\s+te\s+llamas\b",
    r"\bcu[áa]l\s+es\s+tu\s+nombre\b",
    r"\bqui[ée]n\s+te\s+(?:cre[óo]|hizo|desarroll[óo]|entren[óo]|program[óo]|dise[ñn][óo])\b",
    r"\bqu[ée]\s+(?:modelo|versi[óo]n|ia|inteligencia\s+artificial)\s+eres\b",
    rf"\beres\s+(?:un\s+)?{_FAMILIES}\b",
    r"\bpres[ée]ntate\b",
    # French
    rf"\bqui\s+(?:es[- ]tu|[êe]tes[- ]vous)\b{_END}",
    rf"\btu\s+es\s+qui\b{_END}",
    rf"\bqu['’]es[- ]tu\b{_END}",
    r"\bcomment\s+(?:tu\s+t['’]appelles|t['’]appelles[- ]tu|vous\s+appelez[- ]vous)\b",
    r"\bquel\s+est\s+(?:ton|votre)\s+nom\b",
    r"\bqui\s+(?:t['’]a|vous\s+a)\s+(?:cr[ée][ée]e?|con[çc]ue?|d[ée]velopp[ée]e?|"
    r"entra[îi]n[ée]e?|fait|programm[ée]e?)\b",
    r"\bquel\s+(?:mod[èe]le|version)\s+(?:es[- ]tu|[êe]tes[- ]vous)\b",
    r"\bpr[ée]sente[- ]toi\b",
    rf"\bes[- ]tu\s+{_FAMILIES}\b",
    # German
    rf"\bwer\s+(?:bist\s+du|sind\s+sie)\b{_END}",
    rf"\bwas\s+(?:bist\s+du|sind\s+sie)\b{_END}",
    r"\bwie\s+(?:hei(?:ß|ss)t\s+du|hei(?:ß|ss)en\s+sie|ist\s+dein\s+name|ist\s+ihr\s+name)\b",
    r"\bwer\s+hat\s+(?:dich|sie)\s+(?:\w+\s+)?(?:erstellt|entwickelt|gemacht|trainiert|"
    r"gebaut|programmiert|erschaffen|geschaffen)\b",
    r"\bwelches\s+(?:\w+[- ])?(?:modell|sprachmodell|ki-modell)\s+(?:bist\s+du|sind\s+sie)\b",
    r"\bstell\s+dich\s+(?:bitte\s+)?vor\b",
    rf"\bbist\s+du\s+{_FAMILIES}\b",
    # Portuguese
    rf"\bquem\s+(?:[ée]\s+(?:voc[êe]|vc)|[ée]s\s+tu|voc[êe]\s+[ée])\b{_END}",
    rf"\bo\s+que\s+(?:[ée]\s+voc[êe]|voc[êe]\s+[ée])\b{_END}",
    r"\bqual\s+(?:[ée]\s+)?(?:o\s+)?(?:seu|teu)\s+nome\b",
    r"\bcomo\s+(?:voc[êe]\s+se\s+chama|te\s+chamas|se\s+chama\s+voc[êe])\b",
    r"\bquem\s+(?:te|o|a)\s+(?:criou|fez|desenvolveu|treinou|programou)\b",
    r"\b(?:que|qual)\s+modelo\s+(?:[ée]\s+voc[êe]|voc[êe]\s+[ée]|[ée]s)\b",
    r"\bapresente[- ]se\b",
    rf"\bvoc[êe]\s+[ée]\s+(?:o\s+)?{_FAMILIES}\b",
    # Italian
    rf"\bchi\s+(?:sei|[èe]\s+lei)\b{_END}",
    r"\bcome\s+ti\s+chiami\b",
    r"\bchi\s+ti\s+ha\s+(?:creato|creata|sviluppato|addestrato|fatto)\b",
    # Russian
    rf"(?<![а-яё])кто\s+(?:ты|вы)(?:\s+такой|\s+такая|\s+такие)?(?![а-яё]){_END}",
    r"(?<![а-яё])что\s+ты\s+(?:такое|за\s+модель)",
    r"(?<![а-яё])как\s+(?:тебя|вас)\s+зовут",
    r"(?<![а-яё])как\s+(?:тво[её]|ваше)\s+имя",
    r"(?<![а-яё])кто\s+(?:тебя|вас)\s+(?:создал|сделал|разработал|обучил|натренировал)",
    r"(?<![а-яё])(?:какая|какой)\s+ты\s+(?:модель|версия|нейросеть|ии)",
    r"(?<![а-яё])представься",
    # Chinese
    r"(?:你|您)是谁(?!的)",
    r"(?:你|您)是什么(?:模型|东西|人|ai|AI|版本|大模型)?(?:[?？。！!]|$)",
    r"(?:你|您)是(?:哪个|哪家|哪一个|什么)(?:公司|模型|版本|大模型)",
    r"(?:你|您)(?:叫什么|的名字)",
    r"谁(?:创造|创建|开发|训练|制作|发明|设计)(?:了)?(?:你|您)",
    r"(?:你|您)(?:是)?由(?:谁|哪)",
    r"(?:你|您)是(?:不是)?" + _FAMILIES,
    r"介绍(?:一下)?(?:你|您)自己",
    # Japanese
    r"(?:あなた|君|きみ|お前|おまえ|貴方)(?:は|って)(?:誰|だれ|何者|なにもの|(?:何|なに)(?!を|が|の|歳|時|で|に|と))",
    r"(?:あなた|君|きみ|貴方)の名前",
    r"名前は(?:何|なん)",
    r"誰が(?:あなた|君|きみ)を(?:作|開発|訓練|設計)",
    r"(?:あなた|君|きみ)を(?:作った|開発した|訓練した)のは",
    r"(?:どの|何の|なんの)(?:モデル|AI|ＡＩ|言語モデル)(?:です|なの|ですか)",
    r"自己紹介",
)

_QUESTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)

REASON = "identity question"


def asks_identity(prompt: str) -> bool:
    """Whether ``prompt`` asks the model who or what it is, who made it, or its name."""
    return bool(_QUESTION.search(prompt))


def identity_question_reason(prompts: list[str]) -> str:
    """``"identity question"`` when any prompt of the battle asks one, else ``""``."""
    return REASON if any(asks_identity(p) for p in prompts) else ""
