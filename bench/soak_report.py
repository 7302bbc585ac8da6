"""The soak's figures as Markdown and a PNG of memory and descriptors over time
(``bench.soak`` writes both; this module measures nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def markdown(r: dict[str, Any]) -> str:
    v = r["verdict"]
    total = sum(r["operations"].values())
    lines = [
        "# micropay soak",
        "",
        f"{r['seconds']:g} s of mixed traffic from {r['clients']} client processes against one "
        f"gateway on {r['ledger']}: {total:,} operations ({total / r['seconds']:,.0f}/s).",
        "",
        "| operation | completed |",
        "|---|---:|",
        *(f"| {k} | {n:,} |" for k, n in r["operations"].items()),
        "",
        f"Errors: {sum(r['errors'].values())}"
        + (
            ""
            if not r["errors"]
            else " -- " + ", ".join(f"{k} x{n}" for k, n in r["errors"].items())
        ),
        "",
        "SMS at the end: " + ", ".join(f"{k} {n:,}" for k, n in sorted(r["sms"].items())),
        "",
        "Framework at the end, every client's sessions ended: "
        + ", ".join(
            f"{k.replace('_', ' ')} {r['samples'][-1][k]}"
            for k in ("handshakes", "access_sessions", "objects", "managers")
            if k in r["samples"][-1]
        ),
        "",
        r["reconcile"]["summary"][0].upper() + r["reconcile"]["summary"][1:] + ".",
        "",
        "| gateway process, after warm-up | first window | last window | verdict |",
        "|---|---:|---:|---|",
        f"| resident memory (VmRSS, median) | {v['rss_first_mb']:.1f} MB | {v['rss_last_mb']:.1f} MB "
        f"| {'flat' if v['rss_flat'] else 'GROWING'} ({v['rss_growth_mb']:+.1f} MB) |",
        f"| open file descriptors (max) | {v['fds_first']} | {v['fds_last']} "
        f"| {'flat' if v['fds_flat'] else 'GROWING'} |",
        "",
        "![soak](soak.png)",
        "",
    ]
    return "\n".join(lines)


def chart(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [s["t_s"] for s in r["samples"]]
    fig, (rss_ax, fd_ax) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    rss_ax.plot(t, [s["rss_mb"] for s in r["samples"]], color="tab:blue")
    rss_ax.set_ylabel("VmRSS (MB)")
    rss_ax.set_ylim(bottom=0)
    fd_ax.plot(t, [s["fds"] for s in r["samples"]], color="tab:orange", label="open fds")
    fd_ax.plot(t, [s["threads"] for s in r["samples"]], color="tab:green", label="threads")
    if all("objects" in s for s in r["samples"]):
        fd_ax.plot(
            t, [s["objects"] for s in r["samples"]], color="tab:red", label="framework objects"
        )
    fd_ax.set_ylabel("count")
    fd_ax.set_ylim(bottom=0)
    fd_ax.set_xlabel("seconds")
    fd_ax.legend(fontsize=8)
    warm = r["seconds"] * 0.2
    for ax in (rss_ax, fd_ax):
        ax.axvspan(0, warm, color="grey", alpha=0.15)
        ax.grid(True, alpha=0.3)
    fig.suptitle(
        f"gateway process during a {r['seconds']:g} s soak ({r['ledger']}); shaded: warm-up"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_soak(results: dict[str, Any], folder: Path) -> list[Path]:
    md, png = folder / "soak.md", folder / "soak.png"
    md.write_text(markdown(results))
    chart(results, png)
    return [md, png]
