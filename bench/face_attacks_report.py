"""The report of bench/bench_face_attacks.py: its figures as bench/results/face_attacks.md."""

from __future__ import annotations

from typing import Any


def markdown(f: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {k} | {v['attempts']} | {v['old']} | {v['tracking']} | {v['challenge']} |"
        for k, v in f["attacks"].items()
    )
    tot = {
        k: sum(v[k] for v in f["attacks"].values())
        for k in ("attempts", "old", "tracking", "challenge")
    }
    label = {
        "challenge": "with the challenge (painted nod where no photo looks up)",
        "challenge, photos only": "with the challenge, real photos only",
        "no challenge": "without the challenge",
    }
    resp_rows = "\n".join(
        f"| {label.get(k, k)} | {v['attempts']} "
        f"| {v['rejected']} | {v['frr']} | {v['unlock_s_p50']} s |"
        for k, v in f["responder"].items()
    )
    odds = "; ".join(
        f"{k}: {v['unlocks']} of {v['plays']} got in ({100 * v['unlocks'] / v['plays']:.1f} %, "
        + ", ".join(f"{kk} {vv}" for kk, vv in sorted(v["by_kind"].items()))
        + ")"
        for k, v in f["odds"].items()
    )
    photos_only = f.get("responder_per_kind_photos_only", {})

    def kind_row(k: str, v: dict[str, Any]) -> str:
        o = photos_only.get(k)
        alone = f" | {o['passed']}/{o['asked']}, {o['frr']}, {o['unlock_s_p50']} s" if o else " | -"
        return f"| {k} | {v['asked']} | {v['passed']} | {v['frr']} | {v['unlock_s_p50']} s{alone} |"

    look_rows = "\n".join(
        f"| {k} | {v['rejected']} | {v['frr']} | {v['unlock_s_p50']} s | "
        + ", ".join(
            f"{n}{'*' if d['no photo'] else ''} {d['passed']}/{d['asked']}"
            for n, d in v["per_resident"].items()
        )
        + " |"
        for k, v in f.get("responder_look_up", {}).items()
    )
    kind_rows = "\n".join(kind_row(k, v) for k, v in sorted(f["responder_per_kind"].items()))
    ch = "; ".join(
        f"{k} {v['passed']}/{v['asked']}"
        + (f" (no photo makes it: {v['no photo']})" if v["no photo"] else "")
        for k, v in sorted(f["responder_challenges"].items())
    )
    by = "; ".join(
        f"{n}: " + ", ".join(f"{k} {v}" for k, v in d.items() if v)
        for n, d in f["by_resident_with_challenge"].items()
    )
    return f"""# Face liveness: replays and the adaptive responder

`bench/bench_face_attacks.py`, one run. Four enrolled residents; every attack is made from all
11 test photos of the resident it impersonates; each attempt {f["attempt_s"]:.0f} s at
{f["fps"]} fps from a random point of its loop. Load average before the responder / after:
{" ".join(f["load_before"])} / {" ".join(f["load_after"])} (the figures count frames, not CPU time,
so the load does not change them). Unlocks (attempts that produced an access request):

| attack | attempts | pipeline as it was (blink + motion) | tracking, no challenge \
| tracking + challenge |
|---|---|---|---|---|
{rows}
| **all** | {tot["attempts"]} | **{tot["old"]}** | **{tot["tracking"]}** | **{tot["challenge"]}** |

The last four blink: eyelids painted over the eyes of the photos from their landmarks
(bench/face_responder.py, devkit/face_blink.py), as anyone with the photos and an image editor
can do. The video blinks on every photo (a blink every 1.1 s, moving between photos); one photo
blinks at a steady pace (every 0.75 s); one photo blinks in pairs (a double blink, 0.5 s apart,
every 3 s), made against the "blink twice" rule, which wants exactly such a pair; one photo
blinks and then nods up, painted as the responder's nod (devkit/face_nod.py: the photo warped
as a head tilting back, 4° a frame to 24°, held, and back), 0.4 s after its eyes open again,
every 2.9 s: made against "look up", which the panel asks at the moment the blink is seen.

The same blinking loops played from every second frame of their loop against each challenge
kind in turn (all four residents), so that one run's draws do not decide: {odds}.

The adaptive responder (the resident's own photos as the panel asks, painted blinks included):

| | attempts | rejected | rate | time to unlock, p50 |
|---|---|---|---|---|
{resp_rows}

Per challenge kind, with the challenge (asked, passed, rejection rate, time to unlock p50; the
last column the same draws answered with the real photos only, no painted nod):

| challenge | asked | passed | rejected | unlock p50 | real photos only: passed, rejected, p50 |
|---|---|---|---|---|---|
{kind_rows}

"Look up" asked of every attempt ({f["responder_look_up"]["painted nod"]["attempts"]} attempts \
each; the residents marked * have no photo that makes it: the first row nods painted for them):

| look up | rejected | rate | time to unlock, p50 | passed per resident |
|---|---|---|---|---|
{look_rows}

Both runs with the challenge are dealt the same kinds in the same order (a seeded draw per
resident instead of `secrets.choice`, so that only the painted nod differs between them); the
responder does not know the draw, it reads the prompt from the watch's outcome as the panel
shows it.

Times are in frames of the clip at {f["fps"]} fps from the face's first frame (the decision, not
the CPU: see face_cameras.md for processing time). Each frame is analysed by real dlib; the
attacks' frames carry no sensor noise, so a replayed frame is analysed once. Every frame of an
attempt goes to the camera's watch in order, without the service's readers and workers, so no
frame is dropped or queued here (how the workers drop frames does not enter these figures);
the challenge is drawn at random per attempt (for the responder, a seeded draw: above), so the
responder's rate moves with the kinds it is dealt. Per resident (in the JSON):
{by}.

The challenges the responder was dealt, per resident and kind (passed / asked):
{ch}.

The responder is the genuine side's stand-in and an attacker's tool at once: whatever passes
here is what an attacker with a resident's photos, an image editor and a screen passes. Only
IR or depth hardware tells them apart (docs/face.md). Its rejections come from the test
photos, not from a person: "no photo makes it" counts the challenges none of the resident's 11
photos can answer as the judge asks (the move past its need, ahead of the other axis, and out
of the face's plane as a head's move is): a live person can always nod or turn; photos of
other moments only where one happens to show it. The depth of each photo's painted blink (eye
aspect ratio shut / open, as dlib's landmarks see it) is in the JSON (`blink_depth`).
"""
