"""Title breaking cost against title length: time per character stays flat (linear time).

    python bench/title_breaking.py [--repeat N]

Breaks titles of 40 to 40,000 characters (a real title repeated) at the 小二 measure and prints
the median time of N runs and the time per character. The segmenter's dictionary is loaded before
timing.
"""
from __future__ import annotations

import argparse
import statistics
import time

from bulletin.compose.titles import Lexicon, break_title, font_metrics, segment

TITLE = "关于进一步加强全省信息通信行业新型基础设施建设和网络安全保障工作推动数字经济高质量发展的实施意见，"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    metrics = font_metrics("serif-bold")
    lexicon = Lexicon.of(["山西省通信行业协会", "中国通信企业协会"])
    segment("预热")
    print(f"{'characters':>10}  {'median ms':>10}  {'µs / character':>15}")
    for copies in (1, 10, 100, 1000):
        text = TITLE * copies
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            break_title(text, 23.03, lexicon, metrics)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(f"{len(text):>10}  {median * 1000:>10.2f}  {median / len(text) * 1e6:>15.1f}")


if __name__ == "__main__":
    main()
