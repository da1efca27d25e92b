"""The LLM labeller's instructions to its judge: one task per judge-defined category.

Credit: the tasks, criteria and output formats follow LMArena's published category
classifiers (FastChat, ``fastchat/serve/monitor/classify/category.py``, Apache-2.0:
``criteria_v0.1`` hard-prompt criteria, ``if_v0.1``, ``math_v0.1``,
``creative_writing_v0.1``; see also LMArena's "Chatbot Arena Categories" post). The
wording here is ours; the criteria, scales and answer formats are theirs, so the labels
mean what the public files' labels mean. Data only: parsing lives in
:mod:`battles.labeller`.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class JudgeTask:
    name: str  # the category_tag key of the public files
    system: str
    user_template: str  # ``{prompt}`` is the user's prompt

    def messages(self, prompt: str) -> tuple[str, str]:
        """The system prompt and the user message for ``prompt``."""
        return self.system, self.user_template.format(prompt=prompt)


HARD_PROMPT = JudgeTask(
    name="criteria_v0.1",
    system=(
        "You judge how well an input prompt can test the abilities of advanced AI "
        "assistants. Check the prompt against these 7 criteria.\n"
        "1. Specificity: does it ask for a specific output, such as code, a mathematical "
        "solution, a logical simplification, a problem-solving strategy or a hardware "
        "setup recommendation?\n"
        "2. Domain Knowledge: does it cover a specific domain, such as programming, "
        "mathematics, logic, problem-solving or hardware setup?\n"
        "3. Complexity: does it have several levels of complexity or multiple steps, "
        "beyond a straightforward task?\n"
        "4. Problem-Solving: does it require the assistant to actively work out a "
        "solution for a specific setup rather than restate a known fact?\n"
        "5. Creativity: does it need a creative approach, a solution tailored to the "
        "user's specific needs and limits?\n"
        "6. Technical Accuracy: does the answer have to be technically precise and "
        "correct?\n"
        "7. Real-world Application: does it relate to a real-world use, such as setting "
        "up a working system or writing code for a practical purpose?\n\n"
        "List the numbers of the criteria the prompt meets as a Python list, for "
        'example "[1, 3, 6]" (or "[]"). Do not explain.'
    ),
    user_template="{prompt}",
)

INSTRUCTION_FOLLOWING = JudgeTask(
    name="if_v0.1",
    system=(
        "You decide whether a user prompt can test another AI's ability to follow "
        "instructions: whether it gives specific, clear directions whose execution can be "
        "checked objectively. Consider: 1. Does it contain specific instructions or "
        "requirements? 2. Does the answer have to address several steps or elements? "
        "3. Does it ask for a particular format or structure? 4. Does it have a unique or "
        "demanding aspect that tests following directions precisely?\n\n"
        "Give a score from 0 to 5:\n"
        "0 = does not test instruction following.\n"
        "1 = ineffective at testing instruction following.\n"
        "2 = somewhat effective at testing instruction following.\n"
        "3 = effective at testing simple instruction following.\n"
        "4 = effective at testing more complex instruction following.\n"
        "5 = effective at testing advanced instruction following.\n\n"
        "Answer in exactly this format: <score>N</score>. Do not explain."
    ),
    user_template="<user_prompt>{prompt}</user_prompt>",
)

MATH = JudgeTask(
    name="math_v0.1",
    system=(
        "You decide whether a user prompt needs an AI assistant to solve a math problem "
        "with mathematical logic and reasoning. Consider: 1. Does it need a specific "
        "mathematical concept or formula? 2. Does it involve numerical calculation, "
        "algebraic manipulation or logical reasoning? 3. Is there a clear mathematical "
        "problem to solve? 4. Would answering it show proficiency in an area of "
        "mathematics?\n\n"
        "Answer in exactly this format: <decision>yes</decision> or "
        "<decision>no</decision>. Do not explain."
    ),
    user_template="<user_prompt>\n{prompt}\n</user_prompt>",
)

CREATIVE_WRITING = JudgeTask(
    name="creative_writing_v0.1",
    system=(
        "You decide whether a user prompt asks for creative writing: original fiction, "
        "poetry, song lyrics, screenplays, role-play or other imaginative text, where "
        "the assistant must invent content, voice or style rather than inform, explain "
        "or solve. Requests for factual, technical or business writing (an email, a "
        "summary, a report) are not creative writing.\n\n"
        "Answer in exactly this format: <decision>yes</decision> or "
        "<decision>no</decision>. Do not explain."
    ),
    user_template="<user_prompt>\n{prompt}\n</user_prompt>",
)

TASKS = (HARD_PROMPT, INSTRUCTION_FOLLOWING, MATH, CREATIVE_WRITING)
