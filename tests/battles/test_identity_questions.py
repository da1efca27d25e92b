"""Identity questions in eight languages (and Italian), and prompts that only look like one."""

import pytest

from battles.identity_questions import asks_identity, identity_question_reason

QUESTIONS = {
    "english": [
        "Who are you?",
        "who r u",
        "What are you, exactly?",
        "Who made you?",
        "Which company trained you?",
        "What's your name?",
        "What is your model version?",
        "Which model are you?",
        "Who am I talking to?",
        "Are you ChatGPT?",
        "are you gpt-4 or claude?",
        "Please introduce yourself.",
        "Translate 'Who are you?' into French.",  # quoted: counted (see the module)
    ],
    "spanish": [
        "¿Quién eres?",
        "¿Cómo te llamas?",
        "¿Cuál es tu nombre?",
        "¿Quién te creó?",
        "¿Qué modelo eres?",
        "¿Eres ChatGPT?",
    ],
    "french": [
        "Qui es-tu ?",
        "Qui êtes-vous ?",
        "Comment tu t'appelles ?",
        "Quel est ton nom ?",
        "Qui t'a créé ?",
        "Quel modèle es-tu ?",
    ],
    "german": [
        "Wer bist du?",
        "Was bist du?",
        "Wie heißt du?",
        "Wie ist dein Name?",
        "Wer hat dich entwickelt?",
        "Welches Modell bist du?",
        "Bist du Claude?",
    ],
    "chinese": [
        "你是谁？",
        "您是谁",
        "你叫什么名字？",
        "谁开发了你？",
        "你是什么模型",
        "你是ChatGPT吗？",
    ],
    "japanese": [
        "あなたは誰ですか？",
        "あなたの名前は？",
        "誰があなたを作ったの？",
        "どのモデルですか",
        "自己紹介して",
    ],
    "russian": [
        "Кто ты?",
        "Кто вы такой?",
        "Как тебя зовут?",
        "Кто тебя создал?",
        "Какая ты модель?",
    ],
    "portuguese": [
        "Quem é você?",
        "Quem és tu?",
        "Qual é o seu nome?",
        "Como você se chama?",
        "Quem te criou?",
        "Que modelo é você?",
    ],
    "italian": ["Chi sei?", "Come ti chiami?", "Chi ti ha creato?"],
}


@pytest.mark.parametrize(
    "prompt", [(q) for questions in QUESTIONS.values() for q in questions]
)
def test_identity_questions_are_recognised(prompt: str) -> None:
    assert asks_identity(prompt)


@pytest.mark.parametrize(
    "prompt",
    [
        # "who are you" as the start of another question, not an identity question
        "Who are you going to vote for in the story? Write it as a dialogue.",
        "What are you doing tonight? Write a text message that says it.",
        "Who are your favourite poets of the 19th century?",
        "¿Quién eres tú para juzgar a otros? Escribe un ensayo con ese título.",
        "Wer bist du eigentlich gewesen, fragte er. Schreibe die Geschichte weiter.",
        "Кто ты будешь по профессии в этой сказке? Придумай три варианта.",
        "你是谁的粉丝？写一首歌。",  # "whose fan are you"
        "你是什么时候开始学习的？",  # "when did you start learning"
        "あなたは何をしていますか",  # "what are you doing"
        # Other questions altogether
        "Where do llamas live?",
        "Who wrote Hamlet?",
        "What is your favourite colour? Answer as a pirate.",
        "Name three rivers in France.",
        "Tell me about the Gemini constellation.",
        "Write a poem about the sea",
    ],
)
def test_near_misses_are_not_identity_questions(prompt: str) -> None:
    assert not asks_identity(prompt)


def test_any_turn_makes_the_battle_an_identity_question() -> None:
    assert identity_question_reason(["Write a haiku", "Nice. Who made you?"]) == (
        "identity question"
    )
    assert identity_question_reason(["Write a haiku", "Another one"]) == ""
