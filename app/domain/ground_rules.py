"""Starting ground rules for each kind of group. Confidentiality always comes first.

A convenor edits them for their group; members accept them when they join and again
whenever they change.
"""

from __future__ import annotations

_COMMON = [
    "What is said here stays here. We don't repeat anyone's story outside the group, and we "
    "don't name people who aren't in the room.",
    "We listen to understand, one voice at a time, and we don't interrupt.",
    'We speak from our own experience, using "I" rather than "we" or "they".',
    "Everyone can choose how much to share. Passing is always fine.",
    "We're curious rather than judging, and we treat each other with kindness.",
    "If something raises a safeguarding concern, the facilitator will talk to you first about "
    "what happens next.",
]

_BY_KIND = {
    "peer_support": [
        "We take turns to facilitate. Nobody leads for the first time alone.",
    ],
    "staff_network": [
        "Nobody has to say why they are here. Allies are welcome and don't declare anything.",
        "Membership of this network is private. We never mention who belongs outside it.",
    ],
    "reflective_forum": [
        "This is not a space to solve problems. We reflect on the stories we hear rather "
        "than advise or fix.",
        "No names and no attribution: nothing said here is linked to the person who said it, "
        "in notes or anywhere else.",
        "The panel's stories are heard without interruption.",
    ],
    "action_learning": [
        "The presenter owns their issue. We ask questions rather than give advice.",
        "We question in order: first to clarify, then to reflect, then about future action.",
        "Each presenter leaves with actions they choose, and reports back next time.",
    ],
}


def ground_rules_for(kind: str) -> str:
    rules = _COMMON + _BY_KIND.get(kind, [])
    return "\n".join(f"{n}. {rule}" for n, rule in enumerate(rules, start=1))
