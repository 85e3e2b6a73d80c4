"""The polynomials of the exp family's WebAssembly SIMD kernels (src/cpu/wasm/kernels.ts), fitted
once and pasted there: Chebyshev fits (mpmath.chebyfit) in 120-bit arithmetic, each checked at
2001 points with its coefficients rounded to float64, against the function in 120 bits.

    python3 scripts/fit-polynomials.py      # needs mpmath

expm1Poly: expm1(r) = r + r^2 P(r), P of degree 9 on |r| <= ln2/2 + 1e-3.
log1pv:    log1p(u) = 2 atanh(s) = 2s + 2s z P(z), z = s^2, s = u / (2 + u), P of degree 9 on [0, 1/9].
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
