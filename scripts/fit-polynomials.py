"""The polynomials of the exp family's WebAssembly SIMD kernels (src/cpu/wasm/kernels.ts), fitted
once and pasted there: Chebyshev fits (mpmath.chebyfit) in 120-bit arithmetic, each checked at
2001 points with its coefficients rounded to float64, against the function in 120 bits.

    python3 scripts/fit-polynomials.py      # needs mpmath

expm1Poly: expm1(r) = r + r^2 P(r), P of degree 9 on |r| <= ln2/2 + 1e-3.
log1pv:    log1p(u) = 2 atanh(s) = 2s + 2s z P(z), z = s^2, s = u / (2 + u), P of degree 9 on [0, 1/9].
erfc:      gelu's approximate 'none' (geluNone), on four intervals: see below.
"""
import mpmath as m

m.mp.prec = 120


def fit(name, f, interval, degree, value, exact, points):
    coeffs, _ = m.chebyfit(f, interval, degree + 1, error=True)
    rounded = [m.mpf(float(c)) for c in coeffs]
    worst = 0
    for t in points:
        p = m.mpf(0)
        for c in rounded:
            p = p * t + c
        e = exact(t)
        if e != 0:
            worst = max(worst, abs((value(t, p) - e) / e))
    print(f"{name}: relative error at most {float(worst):.2g}; coefficients, lowest degree first:")
    print("  " + ", ".join(repr(float(c)) for c in reversed(coeffs)))


half = m.log(2) / 2 + m.mpf("1e-3")
fit(
    "expm1Poly",
    lambda r: m.mpf(1) / 2 if abs(r) < m.mpf("1e-20") else (m.expm1(r) - r) / r**2,
    [-half, half],
    9,
    lambda r, p: r + r * r * p,
    m.expm1,
    [-half + 2 * half * i / 2000 for i in range(2001)],
)


def atanh_part(z):
    if z < m.mpf("1e-30"):
        return m.mpf(1) / 3
    s = m.sqrt(z)
    return (m.atanh(s) / s - 1) / z


fit(
    "log1pv",
    atanh_part,
    [0, m.mpf(1) / 9],
    9,
    lambda z, p: 2 * m.sqrt(z) + 2 * m.sqrt(z) * z * p,
    lambda z: 2 * m.atanh(m.sqrt(z)),
    [(m.mpf(1) / 3 * i / 2000) ** 2 for i in range(1, 2001)],
)


# erfc(t) for gelu's approximate 'none' (geluNone in kernels.ts), t >= 0:
#   t < 0.75:       1 - t P(t^2), P (degree 10) fitted to erf(t) / t on t^2 in [0, 0.5625]
#   0.75 <= t < 4:  exp(-t^2) G(t), G(t) = exp(t^2) erfc(t) fitted in s = t - c on three intervals (degree 15)
#   4 <= t <= 27:   exp(-t^2) H(v) / t, H(v) = t G(t) fitted in v = 1 / t^2 (degree 13)
def erf_over_t(w):
    if w < m.mpf("1e-40"):
        return 2 / m.sqrt(m.pi)
    t = m.sqrt(w)
    return m.erf(t) / t


fit(
    "geluNone erf(t) / t",
    erf_over_t,
    [0, m.mpf("0.5625")],
    10,
    lambda w, p: p,
    erf_over_t,
    [m.mpf("0.5625") * i / 2000 for i in range(2001)],
)


def g_of(t):
    return m.exp(t * t) * m.erfc(t)


for lo, hi in (("0.75", "1.5"), ("1.5", "2.5"), ("2.5", "4")):
    lo, hi = m.mpf(lo), m.mpf(hi)
    c = (lo + hi) / 2
    fit(
        f"geluNone G(t), t - {float(c)} in [{float(lo - c)}, {float(hi - c)}]",
        lambda s, c=c: g_of(s + c),
        [lo - c, hi - c],
        15,
        lambda s, p: p,
        lambda s, c=c: g_of(s + c),
        [lo - c + (hi - lo) * i / 2000 for i in range(2001)],
    )


def h_of(v):
    t = 1 / m.sqrt(v)
    return t * g_of(t)


fit(
    "geluNone H(v), v = 1 / t^2 in [1/729, 1/16]",
    h_of,
    [m.mpf(1) / 729, m.mpf(1) / 16],
    13,
    lambda v, p: p,
    h_of,
    [m.mpf(1) / 729 + (m.mpf(1) / 16 - m.mpf(1) / 729) * i / 2000 for i in range(2001)],
)
