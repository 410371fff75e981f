"""Golden values of the 95 % Wilson score intervals that
`neurodyn_analysis::psychometric::wilson_interval` is checked against (its unit test).

Run: python -m venv /tmp/v && /tmp/v/bin/pip install statsmodels && /tmp/v/bin/python make_wilson_golden.py
Printed with statsmodels 0.15.0: (5, 10) 0.236593091 0.763406909; (0, 10) 0 0.277532800;
(10, 10) 0.722467200 1.
"""

from statsmodels.stats.proportion import proportion_confint

for k, n in [(5, 10), (0, 10), (10, 10)]:
    lo, hi = proportion_confint(k, n, alpha=0.05, method="wilson")
    print(f"({k}, {n}, {lo:.9f}, {hi:.9f}),")
