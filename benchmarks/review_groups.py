"""How far grouping takes a reviewer: a synthetic class writes the bundled quiz's three explanations, and we count
the groups grader review shows and how many decisions cover the class.

    python benchmarks/review_groups.py            # 500 students, seed 1
    python benchmarks/review_groups.py -n 2000 --seed 7

The answers are built to look like a class's, not to flatter the grouping. Per question, each student starts from
one of a dozen or so stock answers (complete, partial, muddled, wrong way round, off topic: what a class writes
when it has read the same lesson), weighted so a few are common. Then, as students do: about half reword it
(synonyms swapped, a clause dropped, sentences in another order, their own extra sentence), a quarter change
only case, spacing or punctuation, one in ten makes a typo or two, one in twenty-five copies a classmate's answer
word for word, and one in twenty leaves it blank. Everything is seeded.

Printed per question: answers, groups of identical answers (after case and spacing), the groups the similarity
alone would make (rapidfuzz ratio >= 90: what grader review did before it checked words, which put "the loss
decreases" with "the loss increases"), the groups grader review makes (ratio >= 90 and every differing word a
typo or a spacing variant, numbers and negation or quantity words the same: grader.review.alike), and how many
decisions (largest groups first) cover half the class, 80 % of it, and all of it; with the seconds grouping took.
A reworded answer ("since" for "because", an extra sentence) is a group of its own now: a reviewer reads it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.judge.written import answer_hash, normalise_text
from grader.review.alike import alike, protected, tokens
from grader.review.answers import Answer
from grader.review.groups import group_answers
from grader.spec.course import load_course

STOCK = {
    "explain_most_uncertain": [
        (30, "The first one is the most uncertain because all four outcomes are equally likely. The second one is "
             "almost always the first outcome, so it is easy to guess and has low entropy."),
        (20, "The uniform distribution is the most uncertain since every outcome has the same probability, so you "
             "cannot guess better than chance. Its entropy is 2 bits, the maximum for four outcomes."),
        (15, "[0.25, 0.25, 0.25, 0.25] has the highest entropy, 2 bits. [0.97, 0.01, 0.01, 0.01] has only 0.24 bits "
             "because one outcome almost always happens."),
        (10, "The first distribution is most uncertain because it is uniform."),
        (8, "The four-sided die is the most uncertain because it has four outcomes."),
        (6, "The third one is the most uncertain because its probabilities are all different."),
        (5, "The second one is the most uncertain because 0.97 is very large compared to the rest."),
        (4, "Entropy measures uncertainty. The first has entropy 2, the second 0.2419 and the third 1.8464, so the "
            "first is the most uncertain and the second the least."),
        (3, "They all have four outcomes so they are equally uncertain."),
        (3, "The even one, since no outcome is preferred; the lopsided one is predictable."),
        (2, "I think the first because it looks the most random."),
        (2, "Most uncertain is the one with maximum entropy which is log2(4) = 2 bits for the uniform one."),
    ],
    "explain_loss_change": [
        (30, "The loss decreases from 0.3567 to 0.1054 nats because the model gives more probability to the correct "
             "class."),
        (20, "It goes down because the probability of the true class rises from 0.7 to 0.9."),
        (15, "The loss gets smaller."),
        (10, "The loss decreases since cross-entropy with a one-hot label is -ln of the probability of the true class."),
        (8, "The loss increases because the prediction is more confident."),
        (5, "It drops from about 0.36 to about 0.11."),
        (4, "The loss goes down because the wrong classes get less probability, 0.05 instead of 0.1 and 0.2."),
        (3, "Lower loss, better prediction."),
        (3, "The loss changes by -0.2513 nats, so it improves."),
        (2, "The loss stays the same because the label does not change."),
        (2, "The model is more confident in class 2, which is the correct one, so the loss falls."),
    ],
    "explain_training": [
        (25, "Cross-entropy rewards the model for putting high probability on the correct class and penalises it "
             "for putting probability on the wrong classes."),
        (15, "Minimising cross-entropy makes the predicted distribution match the true one. A confident wrong "
             "prediction gets a very large loss because -log of a small probability is large."),
        (15, "It is a good loss because it is smooth and differentiable, so we can use gradient descent."),
        (10, "Cross-entropy measures how accurate the model is, the number of mistakes it makes."),
        (8, "The loss is -log of the probability of the right class, so more confidence on the right class gives a "
            "lower loss and confidence on a wrong class gives a huge loss."),
        (6, "It penalises confident wrong answers heavily, which pushes the model to be calibrated."),
        (5, "Because it is what PyTorch uses for classification."),
        (5, "Cross-entropy is entropy plus KL divergence, and training reduces the KL part, bringing the model "
            "close to the truth."),
        (4, "It tells the model how far its prediction is from the truth and training reduces that distance."),
        (3, "It goes to infinity when the model gives zero probability to the truth, so the model never does that."),
        (2, "It is the best loss."),
    ],
}
SYNONYMS = [("because", "since"), ("most uncertain", "most unpredictable"), ("probability", "chance"),
            ("decreases", "goes down"), ("correct", "right"), ("large", "big"), ("model", "network"),
            ("equally likely", "just as likely"), ("outcome", "result"), ("penalises", "punishes"),
            ("smaller", "lower"), ("so", "therefore"), ("very", "really"), ("gives", "assigns")]
EXTRA = ["This matches what we computed in the exercise.", "I checked it with numpy.", "See my code above.",
         "That is what the lesson says.", "This is the intuition from the lecture.", "I hope this is right."]


def reword(text: str, rng: random.Random) -> str:
    for a, b in SYNONYMS:
        if a in text and rng.random() < 0.5:
            text = text.replace(a, b, 1)
    sentences = [s.strip() for s in text.split(". ") if s.strip()]
    if len(sentences) > 1 and rng.random() < 0.3:
        rng.shuffle(sentences)
    if len(sentences) > 1 and rng.random() < 0.2:
        sentences.pop(rng.randrange(len(sentences)))
    text = ". ".join(s.rstrip(".") for s in sentences) + "."
    if rng.random() < 0.4:
        text += " " + rng.choice(EXTRA)
    return text


def surface(text: str, rng: random.Random) -> str:
    """Case, spacing, a final full stop: the same answer after grader review's normalisation, or nearly."""
    choice = rng.random()
    if choice < 0.4:
        return text.lower()
    if choice < 0.7:
        return text.replace(" ", "  ", rng.randint(1, 3))
    return text.rstrip(".") if text.endswith(".") else text + "."


def typo(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 2)):
        i = rng.randrange(1, len(chars) - 1)
        if rng.random() < 0.5:
            del chars[i]
        else:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return "".join(chars)


def class_answers(qid: str, n: int, rng: random.Random) -> list[str | None]:
    weights, texts = zip(*STOCK[qid], strict=True)
    out: list[str | None] = []
    for _ in range(n):
        r = rng.random()
        if r < 0.05:
            out.append(None)
            continue
        if r < 0.09 and any(out):
            out.append(rng.choice([a for a in out if a]))  # a classmate's answer, word for word
            continue
        text = rng.choices(texts, weights)[0]
        r = rng.random()
        if r < 0.5:
            text = reword(text, rng)
        elif r < 0.75:
            text = surface(text, rng)
        if rng.random() < 0.1:
            text = typo(text, rng)
        out.append(text)
    return out


def cover(sizes: list[int], share: float) -> int:
    total, running = sum(sizes), 0
    for i, size in enumerate(sizes, 1):
        running += size
        if running >= share * total:
            return i
    return len(sizes)


def kept(text: str) -> list[str]:
    """The tokens that must not change: numbers, signs and symbols, negation and quantity words."""
    return [t.text for t in tokens(text) if not t.text.isalpha() or protected(t.text)]


def why_apart(groups: list, tally: dict[str, int]) -> None:
    """For each variant the ratio alone joined to a group: is it alike to the group's first answer, or what differs."""
    for g in groups:
        first = normalise_text(g.text)
        for v in g.variants[1:]:
            norm = normalise_text(v.text)
            key = "alike" if alike(first, norm) else "kept words" if kept(first) != kept(norm) else "other words"
            tally[key] += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    course = load_course(Path(__file__).resolve().parents[1])
    quiz = course.quizzes[0]
    print(f"{args.n} students, seed {args.seed}")
    print(f"{'question':24} {'answers':>7} {'identical':>9} {'ratio':>5} {'groups':>6} {'50%':>5} {'80%':>5} "
          f"{'100%':>5} {'seconds':>7}")
    totals = [0, 0, 0, 0]
    tally = {"alike": 0, "kept words": 0, "other words": 0}
    for q in (q for q in quiz.questions if q.type == "text"):
        rng = random.Random(f"{args.seed}:{q.id}")
        texts = class_answers(q.id, args.n, rng)
        answers = [Answer(f"s{i:04d}", t, answer_hash(t), len(t.split()), "") for i, t in enumerate(texts) if t]
        started = time.perf_counter()
        groups = group_answers(q, answers)
        seconds = time.perf_counter() - started
        exact = len({a.hash for a in answers})
        by_ratio = group_answers(q, answers, same=lambda a, b: True)
        ratio_only = len(by_ratio)
        why_apart(by_ratio, tally)
        sizes = [g.size for g in groups]
        totals[0] += len(answers)
        totals[1] += len(groups)
        totals[2] += sum(g.integrity for g in groups)
        totals[3] += ratio_only
        print(f"{q.id:24} {len(answers):>7} {exact:>9} {ratio_only:>5} {len(groups):>6} {cover(sizes, 0.5):>5} "
              f"{cover(sizes, 0.8):>5} {len(groups):>5} {seconds:>7.2f}")
    print(f"all three: {totals[0]} answers, {totals[1]} decisions cover every one of them "
          f"({totals[0] / max(totals[1], 1):.1f} answers per decision; the ratio alone: {totals[3]}); "
          f"{totals[2]} groups carry the integrity badge")
    print(f"the ratio alone joined {sum(tally.values())} variants to a group: {tally['alike']} alike (typos, spacing), "
          f"{tally['kept words']} with a number, sign, negation or quantity word changed, added or dropped, "
          f"{tally['other words']} with other words changed, added or dropped")


if __name__ == "__main__":
    main()
