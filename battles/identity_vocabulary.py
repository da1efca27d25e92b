"""The names an answer can give a model away by: vendors, model families, products.

Data only; ``battles.leaks`` compiles it with the registered contenders' names. To extend
it add a ``Term``: ``strong`` terms count anywhere in an answer; the others are ordinary
words too ("Pi", "Gemini" the sign, "Claude" Monet, "llama" the animal, "you can Google
it") and count only where an answer introduces itself with them ("I am …", "developed
by …"). ``regex`` terms are patterns (for versioned families); ``case_sensitive`` terms
match only as written ("PaLM", not "palm"). ``family`` groups spellings: a family the
user's prompt already names is no evidence in the answers.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    text: str
    strong: bool = True
    case_sensitive: bool = False
    regex: bool = False
    family: str = ""

    @property
    def key(self) -> str:
        return self.family or self.text.lower()


def _strong(*texts: str, family: str = "", case_sensitive: bool = False) -> list[Term]:
    return [Term(t, family=family, case_sensitive=case_sensitive) for t in texts]


def _weak(*texts: str, family: str = "", case_sensitive: bool = True) -> list[Term]:
    return [Term(t, strong=False, family=family, case_sensitive=case_sensitive) for t in texts]


def _versions(pattern: str, family: str, case_sensitive: bool = False) -> Term:
    return Term(pattern, regex=True, family=family, case_sensitive=case_sensitive)


# A version or size after a family name: "3", "3.5", "-4o", " 2 7B", "-8x7b".
_V = r"[- ]?\d+(?:\.\d+)?(?:[a-z]+)?(?:[- ]\d+(?:x\d+)?[bm])?"

VOCABULARY: tuple[Term, ...] = (
    # OpenAI
    *_strong("OpenAI", "ChatGPT", "DALL-E", "Sora"),
    _versions(r"GPT" + _V + r"(?:[- ](?:turbo|mini|nano|pro))?", "gpt"),
    _versions(r"o[1-9](?:-(?:mini|preview|pro|high))+", "o-series"),
    *_weak("GPT", family="gpt"),
    *_weak("o1", "o3", "o4", family="o-series"),
    # Anthropic
    *_strong("Anthropic", case_sensitive=True),
    _versions(r"Claude(?:" + _V + r")?[- ](?:Instant|Sonnet|Opus|Haiku)(?:" + _V + ")?", "claude"),
    _versions(r"Claude" + _V, "claude"),
    *_weak("Claude", family="claude"),
    # Google
    *_strong("Google DeepMind", "DeepMind", "Google AI", "Google Brain", "Bard AI", "LaMDA"),
    *_strong("PaLM", "PaLM 2", case_sensitive=True),
    _versions(r"Gemini(?:" + _V + r")?[- ](?:Pro|Ultra|Flash|Nano)(?:" + _V + ")?", "gemini"),
    _versions(r"Gemini" + _V, "gemini"),
    _versions(r"Gemma" + _V, "gemma"),
    *_weak("Google", "Gemini", "Bard", "Gemma"),
    # Meta
    *_strong("Meta AI"),
    *_strong("LLaMA", family="llama", case_sensitive=True),
    _versions(r"Llama" + _V, "llama"),
    *_weak("Meta", "Llama"),
    # Mistral
    *_strong("Mistral AI", "Mixtral", "Codestral", "Ministral", "Pixtral"),
    _versions(r"Mistral(?:" + _V + r"|[- ](?:Large|Medium|Small|Nemo|Instruct))", "mistral"),
    *_weak("Mistral"),
    # xAI
    *_strong("xAI", case_sensitive=True),
    _versions(r"Grok" + _V, "grok"),
    *_weak("Grok"),
    # DeepSeek, Alibaba, Zhipu, Moonshot, Baidu, 01.AI
    *_strong("DeepSeek", "深度求索"),
    *_strong("Qwen", "Tongyi", "Qianwen", "通义千问", "通义", "Alibaba Cloud", "阿里云"),
    *_weak("Alibaba", "阿里巴巴"),
    *_strong("Zhipu", "ChatGLM", "智谱", "清言"),
    _versions(r"GLM" + _V, "glm"),
    *_weak("GLM"),
    *_strong("Moonshot AI", "月之暗面"),
    *_weak("Moonshot", "Kimi"),
    *_strong("ERNIE", case_sensitive=True),
    *_strong("ERNIE Bot", "文心一言", "文心"),
    *_weak("Baidu", "百度"),
    *_strong("01.AI", "零一万物"),
    _versions(r"Yi" + _V, "yi"),
    *_weak("Yi"),
    # Cohere
    _versions(r"Command(?:[- ]R\+?|[- ]A|[- ]Light|[- ]Nightly)", "command", case_sensitive=True),
    *_weak("Cohere", "Command"),
    # Microsoft
    *_strong("Microsoft Copilot", "Bing Chat", "Orca 2"),
    _versions(r"Phi" + _V, "phi"),
    *_weak("Microsoft", "Copilot", "Phi", "Orca"),
    # Amazon
    *_strong("Amazon Nova", "Amazon Titan", "Amazon Bedrock"),
    _versions(r"Nova[- ](?:Pro|Lite|Micro|Premier)", "nova", case_sensitive=True),
    *_weak("Amazon", "Nova", "Titan"),
    # Nvidia
    *_strong("Nemotron"),
    *_weak("Nvidia", "NVIDIA"),
    # Smaller labs
    *_strong("Reka AI", "AI21", "AI21 Labs", "Jamba", "Inflection AI", "Perplexity AI"),
    _versions(r"Inflection" + _V, "inflection"),
    *_weak("Reka", "Inflection", "Pi", "Perplexity", "Falcon", "Vicuna", "Alpaca"),
    *_strong("Falcon-40B", "Falcon-180B", "Vicuna-13B", "StableLM", "Stability AI"),
)
