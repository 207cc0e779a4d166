"""Splitting a cohort into sessions: a pure function over plain data, no database.

The rules, in order: men already placed stay where they are (and count against capacity); no
session takes more men than its capacity; two men who must be kept apart never share a session;
sizes are balanced (the least-full session with room is chosen); optionally, men from the same
wing (location) go where their wing already is. Keeping apart is a colouring problem: the greedy
order (most keep-apart partners first) and one repair step (moving or swapping the one partner
in his way) place most men, but a man may still be left out where a cleverer split would not;
he is then listed with the reason, never placed against a rule.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

NO_SESSIONS = "no sessions"
ALL_FULL = "all sessions full"
KEPT_APART = "keeps apart from someone in every session with room"


@dataclass(frozen=True)
class Man:
    """A man on the cohort: his id, wing (location) and session if he has one."""

    id: int
    location: str = ""
    session_id: int | None = None


@dataclass(frozen=True)
class Slot:
    """A session's id and how many men it takes."""

    id: int
    capacity: int


@dataclass
class Allocation:
    """Where every placed man is (already-placed men included), and why the others are not."""

    placed: dict[int, int] = field(default_factory=dict)
    unplaced: dict[int, str] = field(default_factory=dict)


def allocate(men: list[Man], sessions: list[Slot], keep_apart_pairs,
             keep_wing_together: bool = False) -> Allocation:
    """Place every man without a session, within capacity and keep-apart, balancing sizes."""
    result = Allocation(placed={man.id: man.session_id for man in men
                                if man.session_id is not None})
    partners = _partners(keep_apart_pairs)
    wings = {man.id: man.location.strip().casefold() for man in men}
    waiting = [man for man in men if man.session_id is None]
    movable = {man.id for man in waiting}
    for man in _order(waiting, partners, wings, keep_wing_together):
        session_id = _choose(man, sessions, result.placed, partners, wings, keep_wing_together)
        if session_id is None:
            session_id = _make_way(man, sessions, result.placed, partners, movable)
        if session_id is None:
            result.unplaced[man.id] = _reason(sessions, result.placed)
        else:
            result.placed[man.id] = session_id
    return result


def _partners(pairs) -> dict[int, set[int]]:
    """Each man's keep-apart partners, both ways round."""
    partners = defaultdict(set)
    for first, second in pairs:
        partners[first].add(second)
        partners[second].add(first)
    return partners


def _order(waiting: list[Man], partners, wings, keep_wing_together: bool) -> list[Man]:
    """Men with keep-apart partners first (they have the fewest choices); then, when keeping
    wings together, biggest wings first (no wing last); else by id."""
    if not keep_wing_together:
        return sorted(waiting, key=lambda man: (-len(partners[man.id]), man.id))
    sizes = Counter(wings[man.id] for man in waiting)
    return sorted(waiting, key=lambda man: (not partners[man.id], wings[man.id] == "",
                                            -sizes[wings[man.id]], wings[man.id],
                                            -len(partners[man.id]), man.id))


def _choose(man: Man, sessions: list[Slot], placed: dict[int, int], partners, wings,
            keep_wing_together: bool) -> int | None:
    """The session for this man: with room and none of his partners; his wing's, else emptiest."""
    counts = Counter(placed.values())
    barred = {placed[other] for other in partners[man.id] if other in placed}
    wing = wings[man.id]
    open_slots = [(index, slot) for index, slot in enumerate(sessions)
                  if counts[slot.id] < slot.capacity and slot.id not in barred]
    if not open_slots:
        return None

    def preference(item):
        index, slot = item
        same_wing = keep_wing_together and wing and sum(
            1 for other, where in placed.items() if where == slot.id and wings[other] == wing)
        return (-(same_wing or 0), counts[slot.id], index)

    return min(open_slots, key=preference)[1].id


def _make_way(man: Man, sessions: list[Slot], placed: dict[int, int], partners,
              movable: set[int]) -> int | None:
    """A session for the man once the one partner in his way (placed by this run, never before)
    moves elsewhere: to a session with room, or swapped with a man there. Moves are made."""
    for slot in sessions:
        blockers = [other for other in partners[man.id] if placed.get(other) == slot.id]
        if len(blockers) == 1 and blockers[0] in movable and _move_aside(
                blockers[0], slot, man, sessions, placed, partners, movable):
            return slot.id
    return None


def _move_aside(blocker: int, slot: Slot, man: Man, sessions: list[Slot],
                placed: dict[int, int], partners, movable: set[int]) -> bool:
    """Move the blocker out of the slot without breaking a rule; whether it could be done."""
    counts = Counter(placed.values())
    for target in sessions:
        near = {other for other, where in placed.items() if where == target.id}
        if target.id == slot.id or near & partners[blocker]:
            continue
        if counts[target.id] < target.capacity:
            placed[blocker] = target.id
            return True
        if counts[slot.id] >= slot.capacity:  # a swap adds one man to the slot
            continue
        in_slot = {other for other, where in placed.items() if where == slot.id} - {blocker}
        for swap in sorted(near & movable):
            if swap not in partners[man.id] and not partners[swap] & in_slot:
                placed[blocker], placed[swap] = target.id, slot.id
                return True
    return False


def _reason(sessions: list[Slot], placed: dict[int, int]) -> str:
    """Why no session could take this man."""
    if not sessions:
        return NO_SESSIONS
    counts = Counter(placed.values())
    if all(counts[slot.id] >= slot.capacity for slot in sessions):
        return ALL_FULL
    return KEPT_APART
