"""A deterministic synthetic topic set that follows the data contract (/work/shared/DATA.md).

    python -m bench.synthetic 500 --out bench/work/n500

writes topics.csv and pairs.csv for N topics: all eight kinds in turn, one to three sentence
descriptions of realistic length, and effects, strategies, categories, abbreviations and sources
on some topics; pairs.csv holds a few editor pairs of every status. The same N always gives the
same bytes (no randomness beyond a seeded generator), so benchmarks compare like with like.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
from pathlib import Path

from pipeline.data.validate import KINDS, KNOWN_COLUMNS

# Name parts per kind: qualifier × base gives up to ~1,200 distinct names per kind (≈ 9,600 in all).
_QUALIFIERS = (
    "Acute",
    "Chronic",
    "Social",
    "Moral",
    "Anticipatory",
    "Chronic Low-Grade",
    "Reactive",
    "Adaptive",
    "Collective",
    "Digital",
    "Morning",
    "Evening",
    "Seasonal",
    "Workplace",
    "Academic",
    "Parental",
    "Relational",
    "Somatic",
    "Cognitive",
    "Emotional",
    "Sensory",
    "Situational",
    "Habitual",
    "Latent",
    "Episodic",
    "Residual",
    "Secondary",
    "Vicarious",
    "Existential",
    "Performance",
    "Creative",
    "Financial",
    "Competitive",
    "Ambient",
    "Nocturnal",
    "Postural",
    "Spatial",
    "Verbal",
    "Visual",
    "Auditory",
)
_BASES = {
    "condition": (
        "Burnout",
        "Insomnia",
        "Panic",
        "Fatigue",
        "Grief",
        "Overwhelm",
        "Tension",
        "Apathy",
        "Hypervigilance",
        "Dysphoria",
        "Restlessness",
        "Irritability",
        "Numbness",
        "Distress",
        "Exhaustion",
        "Withdrawal",
        "Overload",
        "Worry",
        "Despair",
        "Agitation",
        "Malaise",
        "Paralysis",
        "Phobia",
        "Strain",
        "Depletion",
        "Detachment",
        "Dread",
        "Unease",
        "Weariness",
        "Disquiet",
    ),
    "emotion": (
        "Shame",
        "Awe",
        "Envy",
        "Pride",
        "Guilt",
        "Gratitude",
        "Boredom",
        "Curiosity",
        "Nostalgia",
        "Contempt",
        "Relief",
        "Jealousy",
        "Hope",
        "Embarrassment",
        "Loneliness",
        "Serenity",
        "Frustration",
        "Elation",
        "Regret",
        "Tenderness",
        "Longing",
        "Disgust",
        "Amusement",
        "Resentment",
        "Wonder",
        "Contentment",
        "Irritation",
        "Compassion",
        "Melancholy",
        "Joy",
    ),
    "brain": (
        "Cortex",
        "Network",
        "Circuit",
        "Nucleus",
        "Pathway",
        "Gyrus",
        "Loop",
        "Receptor System",
        "Hormone Axis",
        "Signalling",
        "Tract",
        "Region",
        "Hub",
        "Ganglion",
        "Lobe Activity",
        "Rhythm",
        "Oscillation",
        "Connectivity",
        "Transmitter Release",
        "Modulation",
        "Plasticity",
        "Reward System",
        "Arousal System",
        "Gating",
        "Relay",
        "Map",
        "Field",
        "Column",
        "Assembly",
        "Stream",
    ),
    "process": (
        "Attention",
        "Memory",
        "Appraisal",
        "Recall",
        "Learning",
        "Habituation",
        "Recovery",
        "Rumination",
        "Reflection",
        "Consolidation",
        "Planning",
        "Reasoning",
        "Imagery",
        "Anticipation",
        "Monitoring",
        "Inhibition",
        "Updating",
        "Switching",
        "Encoding",
        "Retrieval",
        "Perception",
        "Interoception",
        "Regulation",
        "Mentalising",
        "Evaluation",
        "Integration",
        "Prediction",
        "Orienting",
        "Savouring",
        "Forgetting",
    ),
    "behavior": (
        "Procrastination",
        "Avoidance",
        "Checking",
        "Scrolling",
        "Snacking",
        "Overworking",
        "Reassurance Seeking",
        "People-Pleasing",
        "Venting",
        "Multitasking",
        "Hoarding",
        "Skipping",
        "Overplanning",
        "Nail Biting",
        "Complaining",
        "Comparing",
        "Withdrawing",
        "Binge Watching",
        "Oversharing",
        "Stalling",
        "Bargaining",
        "Hiding",
        "Doomscrolling",
        "Rushing",
        "Snoozing",
        "Hovering",
        "Deflecting",
        "Overcommitting",
        "Fidgeting",
        "Ruminating Aloud",
    ),
    "practice": (
        "Journaling",
        "Breathing",
        "Walking",
        "Meditation",
        "Stretching",
        "Gratitude Practice",
        "Body Scan",
        "Reframing",
        "Scheduling",
        "Self-Compassion",
        "Grounding",
        "Visualisation",
        "Tai Chi",
        "Yoga",
        "Exposure",
        "Coaching",
        "Therapy",
        "Art Practice",
        "Music Practice",
        "Gardening",
        "Volunteering",
        "Reading",
        "Rest Breaks",
        "Sleep Hygiene",
        "Cold Exposure",
        "Digital Detox",
        "Mind Mapping",
        "Check-Ins",
        "Focusing",
        "Pacing",
    ),
    "trait": (
        "Perfectionism",
        "Optimism",
        "Neuroticism",
        "Conscientiousness",
        "Openness",
        "Agreeableness",
        "Grit",
        "Sensitivity",
        "Impulsivity",
        "Resilience",
        "Humility",
        "Curiosity Trait",
        "Patience",
        "Rigidity",
        "Flexibility",
        "Introversion",
        "Extraversion",
        "Stubbornness",
        "Warmth",
        "Self-Control",
        "Hardiness",
        "Pessimism",
        "Idealism",
        "Scepticism",
        "Courage",
        "Modesty",
        "Restraint",
        "Zeal",
        "Composure",
        "Candour",
    ),
    "phenomenon": (
        "Effect",
        "Bias",
        "Paradox",
        "Illusion",
        "Fallacy",
        "Heuristic",
        "Spiral",
        "Trap",
        "Blind Spot",
        "Contagion",
        "Drift",
        "Fixation",
        "Anchoring",
        "Halo",
        "Priming",
        "Projection",
        "Mirage",
        "Echo",
        "Threshold",
        "Rebound",
        "Cascade",
        "Ceiling",
        "Dividend",
        "Penalty",
        "Premium",
        "Gap",
        "Lag",
        "Loop Effect",
        "Shift",
        "Window",
    ),
}
_CATEGORIES = {
    "condition": ("Stress & Burnout", "Mood & Anxiety", "Sleep & Rest"),
    "emotion": ("Relationships & Emotions", "Mood & Anxiety"),
    "brain": ("Brain & Body",),
    "process": ("Mind & Thinking", "Sleep & Rest"),
    "behavior": ("Habits & Behavior",),
    "practice": ("Wellbeing Practices",),
    "trait": ("Personality",),
    "phenomenon": ("Mind & Thinking", "Biases & Effects"),
}
_SENTENCES = {
    "condition": (
        "{Name} is a state of distress in which {what}, often with physical signs such as {sign}.",
        "It can follow a long period of {cause}, and it tends to ease when the pressure is reduced and support is available.",
        "When it lasts for weeks and interferes with work, sleep or relationships, it is worth talking to a professional.",
    ),
    "emotion": (
        "{Name} is a feeling that arises when {what}, and it is often felt in the body as {sign}.",
        "Like other emotions, it carries information about what matters to a person and can prompt action.",
        "It becomes a problem mainly when it is intense, frequent or hard to let go of after {cause}.",
    ),
    "brain": (
        "{Name} is a set of brain structures and signals that help {what}, with effects felt as {sign}.",
        "Its activity changes with {cause}, and imaging studies link it with attention, mood and memory.",
        "Researchers still debate how much of its role is specific and how much it shares with neighbouring systems.",
    ),
    "process": (
        "{Name} is a mental process by which the mind {what}, and it shows up in daily life as {sign}.",
        "It works mostly outside awareness and can be strengthened or strained by {cause}.",
        "Because it runs all day, small changes in how it works can add up to large differences in wellbeing.",
    ),
    "behavior": (
        "{Name} is a pattern of behavior in which a person {what}, often noticed as {sign}.",
        "It usually starts as a way to cope with {cause} and becomes a habit through repetition.",
        "Like most habits, it is easier to change by adjusting cues and routines than by willpower alone.",
    ),
    "practice": (
        "{Name} is something a person does on purpose to {what}, and regular use often brings {sign}.",
        "It takes only a few minutes a day and can be combined with other practices after {cause}.",
        "Studies suggest modest but reliable benefits, especially when it is practiced consistently over weeks.",
    ),
    "trait": (
        "{Name} is a lasting tendency to {what}, which others may notice as {sign}.",
        "It is partly inherited and partly shaped by experience, including {cause}.",
        "Like other traits, it has both costs and benefits, depending on the situation a person is in.",
    ),
    "phenomenon": (
        "{Name} is a named pattern in which people {what}, usually without noticing {sign}.",
        "It has been described in experiments and everyday settings, and it becomes stronger under {cause}.",
        "Knowing about it does not remove it, but it can help people pause before acting on it.",
    ),
}
_WHATS = (
    "energy and interest drain away over time",
    "small problems start to feel much larger than they are",
    "attention keeps returning to the same worries",
    "expectations and reality pull in different directions",
    "the body stays on alert long after a threat has passed",
    "rewards and effort stop feeling connected",
    "old experiences colour how new ones are read",
    "feelings are pushed aside rather than noticed",
)
_SIGNS = (
    "tight shoulders and shallow breathing",
    "restless sleep",
    "a racing heart",
    "low energy in the afternoon",
    "trouble concentrating",
    "a sense of calm",
    "a warm feeling in the chest",
    "snapping at small things",
)
_CAUSES = (
    "high demands and little control",
    "poor sleep",
    "social comparison",
    "uncertainty about the future",
    "repeated setbacks",
    "long hours in front of screens",
    "caring for others",
    "major life changes",
)
_EFFECTS = (
    "low energy",
    "trouble concentrating",
    "irritability",
    "restless sleep",
    "a sense of calm",
    "more flexible thinking",
    "withdrawal from others",
    "muscle tension",
    "heightened vigilance",
    "clearer priorities",
    "self-critical thoughts",
    "better mood",
)
_STRATEGIES = (
    "write down what drains and what restores you",
    "take a five-minute break every hour",
    "name the feeling before you act on it",
    "keep a regular sleep and wake time",
    "talk to someone you trust",
    "notice the first sign and slow your breathing",
    "plan one small step for tomorrow",
    "limit news and social media before bed",
    "move your body for ten minutes a day",
    "ask for help before things pile up",
)
_ORGS = ("https://en.wikipedia.org/wiki/Psychology", "https://www.apa.org/topics", "https://doi.org/10.1037/0000000")


def _name(kind: str, index: int) -> str:
    bases = _BASES[kind]
    base = bases[index % len(bases)]
    round_ = index // len(bases)
    if round_ == 0:
        return base
    q = _QUALIFIERS[(round_ - 1) % len(_QUALIFIERS)]
    extra = (round_ - 1) // len(_QUALIFIERS)
    return f"{q} {base}" + (f" {extra + 1}" if extra else "")


def topics_rows(n: int, seed: int = 5) -> list[dict[str, str]]:
    """N topic rows, kinds in turn, deterministic for (n, seed)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        name = _name(kind, i // len(KINDS))
        abbreviation = ""
        if rng.random() < 0.1 and " " in name:
            abbreviation = "".join(w[0] for w in name.replace("-", " ").split() if w[0].isalpha()).upper()
        name_in_text = ""
        if kind == "brain" and rng.random() < 0.5:
            name_in_text = "the " + name.lower()
        text_name = name_in_text or name.lower()
        templates = _SENTENCES[kind]
        count = 1 + rng.randrange(3)
        description = " ".join(
            t.format(
                Name=text_name[0].upper() + text_name[1:],
                what=rng.choice(_WHATS),
                sign=rng.choice(_SIGNS),
                cause=rng.choice(_CAUSES),
            )
            for t in templates[:count]
        )
        rows.append(
            {
                "name": name,
                "kind": kind,
                "description": description,
                "slug": "",
                "name_in_text": name_in_text,
                "abbreviation": abbreviation,
                "category": rng.choice(_CATEGORIES[kind]) if rng.random() < 0.85 else "",
                "effects": "; ".join(rng.sample(_EFFECTS, rng.randrange(2, 5))) if rng.random() < 0.7 else "",
                "strategies": "; ".join(rng.sample(_STRATEGIES, rng.randrange(2, 4))) if rng.random() < 0.7 else "",
                "sources": " ".join(rng.sample(_ORGS, rng.randrange(1, 3))) if rng.random() < 0.6 else "",
                "updated_on": "2026-11-25",
            }
        )
    return rows


def _slug(name: str) -> str:
    from pipeline.data.validate import make_slug

    return make_slug(name)


def pairs_rows(topics: list[dict[str, str]], seed: int = 5) -> list[dict[str, str]]:
    """About one editor pair per two topics: mostly approved with text, some review, noindex, rejected."""
    rng = random.Random(seed + 1)
    slugs = sorted(_slug(t["name"]) for t in topics)
    names = {_slug(t["name"]): t["name"] for t in topics}
    seen: set[tuple[str, str]] = set()
    rows = []
    for _ in range(max(2, len(slugs) // 2)):
        a, b = sorted(rng.sample(slugs, 2))
        if (a, b) in seen:
            continue
        seen.add((a, b))
        status = rng.choices(("approved", "review", "noindex", "rejected"), (70, 15, 10, 5))[0]
        relationship = ""
        if status in ("approved", "review"):
            relationship = (
                f"Research on {names[a].lower()} and {names[b].lower()} together is limited, so the link described "
                "here is a reasoned account rather than an established finding. Both involve how people notice and "
                "respond to pressure, and a change in one often shows up in the other within days.\n\n"
                "In practice, working on one of them with small, regular steps tends to help with the other as well."
            )
        rows.append(
            {
                "topic_a": a,
                "topic_b": b,
                "status": status,
                "relationship": relationship,
                "sources": "https://en.wikipedia.org/wiki/Psychology" if relationship else "",
                "reviewed_by": "Bringwise editorial team" if relationship else "",
                "reviewed_on": "2026-11-20" if relationship else "",
            }
        )
    return rows


def _csv(rows: list[dict[str, str]], header: tuple[str, ...]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


# The data contract's columns (synthetic topics never have old slugs).
TOPIC_HEADER = tuple(c for c in KNOWN_COLUMNS["topics"] if c != "old_slugs")
PAIR_HEADER = KNOWN_COLUMNS["pairs"]


def write(n: int, out: Path, seed: int = 5) -> Path:
    """Write out/topics.csv and out/pairs.csv for n topics; return the folder."""
    out.mkdir(parents=True, exist_ok=True)
    topics = topics_rows(n, seed)
    (out / "topics.csv").write_text(_csv(topics, TOPIC_HEADER), encoding="utf-8")
    (out / "pairs.csv").write_text(_csv(pairs_rows(topics, seed), PAIR_HEADER), encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.synthetic", description=__doc__.split("\n\n")[0])
    p.add_argument("n", type=int, help="number of topics")
    p.add_argument("--out", type=Path, default=None, help="folder for topics.csv and pairs.csv (default bench/work/nN)")
    p.add_argument("--seed", type=int, default=5)
    args = p.parse_args(argv)
    folder = write(args.n, args.out or Path(f"bench/work/n{args.n}"), args.seed)
    print(f"wrote {args.n} topics to {folder}/topics.csv and {folder}/pairs.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
