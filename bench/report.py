"""Plots (PNG, matplotlib) and the markdown results table of one bench run.

.venv/bin/python -m bench.report bench/results/<timestamp>.json   # table + plots again
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TARGET_P99 = 50


def _step_at(steps: list[dict[str, Any]], rate: int) -> dict[str, Any] | None:
    return next((s for s in steps if s["offered_rate"] == rate), None)


def _fmt(value, digits=1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(a, b) -> str:
    if not a or not b:
        return "n/a"
    return f"{a / b:.1f}x"


def plots(results: dict[str, Any], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    scen = results["scenarios"]
    series = {}
    if "baseline_relay" in scen and "steps" in scen["baseline_relay"].get("pairs", {}):
        series["bare websockets relay"] = scen["baseline_relay"]["pairs"]["steps"]
    for spec, run in scen.get("pairs", {}).items():
        if "steps" in run:
            series[f"app, {spec}"] = run["steps"]
    if "steps" in scen.get("cross_process", {}):
        series["app, 2 processes (cross)"] = scen["cross_process"]["steps"]
    if series:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=80)
        for ax, (key, title) in zip(axes, (("p50_ms", "p50"), ("p99_ms", "p99")), strict=True):
            for label, steps in series.items():
                xs = [s["offered_rate"] for s in steps if s["e2e"].get("count")]
                ys = [s["e2e"][key] for s in steps if s["e2e"].get("count")]
                ax.plot(xs, ys, marker="o", label=label)
            ax.axhline(TARGET_P99 if key == "p99_ms" else 5, color="grey", ls="--", lw=1)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("offered rate (messages/s, open loop)")
            ax.set_ylabel(f"end-to-end latency {title} (ms)")
            ax.set_title(f"1:1 messages: {title} latency vs offered rate")
            ax.grid(True, which="both", alpha=0.3)
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / "bench-latency-vs-rate.png"
        fig.savefig(path)
        plt.close(fig)
        made.append(path)

    idle = scen.get("idle", {}).get("levels")
    relay_idle = scen.get("baseline_relay", {}).get("idle", {}).get("levels")
    if idle:
        fig, ax = plt.subplots(figsize=(6, 4), dpi=80)
        for label, levels in (("app", idle), ("bare relay", relay_idle or [])):
            ok = [lv for lv in levels if "rss_per_conn_kib" in lv]
            ax.plot(
                [lv["connections"] for lv in ok],
                [lv["rss_per_conn_kib"] for lv in ok],
                marker="o",
                label=label,
            )
        ax.axhline(30, color="grey", ls="--", lw=1, label="target 30 KiB")
        ax.set_xlabel("idle authenticated sockets")
        ax.set_ylabel("server RSS per socket (KiB)")
        ax.set_title("Memory per idle connection")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / "bench-idle-memory.png"
        fig.savefig(path)
        plt.close(fig)
        made.append(path)

    rest = scen.get("rest")
    if rest and "small" in rest and "large" in rest:
        fig, ax = plt.subplots(figsize=(6, 4), dpi=80)
        names = ["trivial", "inbox", "history"]
        width = 0.2
        for i, (size, pct) in enumerate(
            (("small", "p50_ms"), ("small", "p99_ms"), ("large", "p50_ms"), ("large", "p99_ms"))
        ):
            ys = [rest[size].get(n, {}).get("latency", {}).get(pct, 0) for n in names]
            label = f"{rest[size]['messages']:,} msgs {pct[:-3]}"
            ax.bar([x + (i - 1.5) * width for x in range(3)], ys, width, label=label)
        ax.set_xticks(range(3), names)
        ax.set_ylabel("latency (ms)")
        ax.set_title("REST latency: small vs large messages table")
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out_dir / "bench-rest.png"
        fig.savefig(path)
        plt.close(fig)
        made.append(path)
    return made


def table(results: dict[str, Any]) -> str:
    scen = results["scenarios"]
    relay = scen.get("baseline_relay", {})
    relay_steps = relay.get("pairs", {}).get("steps", [])
    relay500 = _step_at(relay_steps, 500) or {}
    lines = [
        "| scenario | configuration | measured | target | vs baseline |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec, run in scen.get("pairs", {}).items():
        step = _step_at(run.get("steps", []), 500)
        if step:
            e = step["e2e"]
            relay_p50 = relay500.get("e2e", {}).get("p50_ms")
            lines.append(
                f"| 1:1 at 500 msg/s, p50 / p99 / p99.9 | {spec} | {_fmt(e.get('p50_ms'))} / "
                f"{_fmt(e.get('p99_ms'))} / {_fmt(e.get('p999_ms'))} ms (lost {step['lost']}) | "
                f"<= 5 / <= 25 ms | p50 {_ratio(e.get('p50_ms'), relay_p50)} the relay's |"
            )
        lines.append(
            f"| sustained persisted 1:1 msg/s (p99 < 50 ms, no loss) | {spec} | "
            f"{run.get('sustained_rate', 'n/a')} | >= 2,000 | "
            f"{_ratio(run.get('sustained_rate'), relay.get('pairs', {}).get('sustained_rate'))}"
            f" of the relay's {relay.get('pairs', {}).get('sustained_rate', 'n/a')} |"
        )
        step = _step_at(run.get("steps", []), 1000)
        if step and "server_cpu_ms_per_message" in step:
            relay_cpu = (_step_at(relay_steps, 1000) or {}).get("server_cpu_ms_per_message")
            lines.append(
                f"| server CPU per message at 1,000 msg/s (with its ack, push and receipt) | "
                f"{spec} | {_fmt(step['server_cpu_ms_per_message'], 3)} ms | <= 0.5 ms for "
                f"2,000 msg/s on one core | {_ratio(step['server_cpu_ms_per_message'], relay_cpu)}"
                f" the relay's {_fmt(relay_cpu, 3)} ms |"
            )
    frames = scen.get("frames", {})
    if "app" in frames and "echo" in frames:
        app, echo = frames["app"], frames["echo"]
        lines.append(
            f"| server CPU per frame round trip (a frame in, an error frame out) at "
            f"{app['rate']:,}/s | {frames['server']} | {_fmt(app['server_cpu_us_per_round_trip'])}"
            f" µs | (none) | "
            f"{_ratio(app['server_cpu_us_per_round_trip'], echo['server_cpu_us_per_round_trip'])}"
            f" a bare ASGI app's {_fmt(echo['server_cpu_us_per_round_trip'])} µs on the same "
            f"server |"
        )
    if "cross_process" in scen:
        run = scen["cross_process"]
        step = _step_at(run.get("steps", []), 500)
        if step:
            e = step["e2e"]
            lines.append(
                f"| cross-process 1:1 at 500 msg/s, p50 / p99 | {run['server']} | "
                f"{_fmt(e.get('p50_ms'))} / {_fmt(e.get('p99_ms'))} ms (lost {step['lost']}) | "
                f"(as 1:1) | p50 {_ratio(e.get('p50_ms'), relay500.get('e2e', {}).get('p50_ms'))} |"
            )
        lines.append(
            f"| cross-process sustained msg/s | {run['server']} | {run.get('sustained_rate')} | "
            f"(as 1:1) | |"
        )
    if "fanout" in scen and "last_member" in scen["fanout"]:
        f = scen["fanout"]
        rf = relay.get("fanout", {}).get("last_member", {})
        lines.append(
            f"| fan-out to {f['members']} members: last member p50 / max | {f['server']} | "
            f"{_fmt(f['last_member'].get('p50_ms'))} / {_fmt(f['last_member'].get('max_ms'))} ms"
            f" (lost {f['lost_deliveries']}) | <= 150 ms | "
            f"{_ratio(f['last_member'].get('p50_ms'), rf.get('p50_ms'))} the relay's "
            f"{_fmt(rf.get('p50_ms'))} ms |"
        )
    if "reactions" in scen and "last_member" in scen["reactions"]:
        r = scen["reactions"]
        last = r["last_member"]
        lines.append(
            f"| reactions at {r['offered_rate']:g}/s into {r['members']} members: last member "
            f"p50 / p99 | {r['server']} | {_fmt(last.get('p50_ms'))} / {_fmt(last.get('p99_ms'))}"
            f" ms (lost {r['lost_deliveries']}, errors {r['errors']}"
            f"{'' if r.get('valid', True) else ', generator saturated'}) | p99 <= 50 ms | "
            f"{_fmt(r.get('server_cpu_ms_per_reaction'), 3)} ms of server CPU a reaction |"
        )
    if "idle" in scen and scen["idle"].get("levels"):
        ok = [lv for lv in scen["idle"]["levels"] if "rss_per_conn_kib" in lv]
        rl = [lv for lv in relay.get("idle", {}).get("levels", []) if "rss_per_conn_kib" in lv]
        if ok:
            top = ok[-1]
            rtop = rl[-1] if rl else {}
            lines.append(
                f"| idle authenticated sockets: held / RSS per socket | {scen['idle']['server']} | "
                f"{top['open']:,} / {_fmt(top['rss_per_conn_kib'])} KiB (PSS "
                f"{_fmt(top['pss_per_conn_kib'])}; Redis +{_fmt(top.get('redis_per_conn_kib'))}) | "
                f">= 10,000 / <= 30 KiB | "
                f"{_ratio(top['rss_per_conn_kib'], rtop.get('rss_per_conn_kib'))}"
                f" the relay's {_fmt(rtop.get('rss_per_conn_kib'))} KiB |"
            )
    rest = scen.get("rest", {})
    for size in ("small", "large"):
        if size not in rest:
            continue
        trivial = rest[size].get("trivial", {}).get("latency", {})
        for name in ("inbox", "history"):
            lat = rest[size].get(name, {}).get("latency", {})
            q = rest[size].get("queries", {}).get(name, {}).get("queries")
            count = rest[size]["messages"]
            lines.append(
                f"| REST {name}, {count:,} messages: p50 / p99 | {rest['server']} |"
                f" {_fmt(lat.get('p50_ms'))} / {_fmt(lat.get('p99_ms'))} ms, {q} queries |"
                f" p99 <= 20 ms, flat queries |"
                f" p50 {_ratio(lat.get('p50_ms'), trivial.get('p50_ms'))}"
                f" Django's trivial {_fmt(trivial.get('p50_ms'))} ms |"
            )
    meta = results["meta"]
    lines.append("")
    lines.append(
        f"Load average at start / end: {meta.get('loadavg_start')} / {meta.get('loadavg_end')}."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    data = json.loads(Path(sys.argv[1]).read_text())
    plots(data, Path(__file__).resolve().parent.parent / "docs" / "img")
    print(table(data))
