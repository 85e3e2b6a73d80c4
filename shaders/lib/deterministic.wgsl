// Deterministic f32 arithmetic, scalar only, for the row reductions of softmax and logSoftmax:
// every operation below is one correctly rounded IEEE binary32 operation (exact_add_bits and
// exact_mul from lib/exact.wgsl: the hardware result where no flush can touch it, else integer
// code; an integer long division), so a fixed sequence of them gives the same bits on every
// adapter and on the CPU (src/numerics/deterministic.ts, where each is the float64 result rounded
// once to f32, which is the correctly rounded f32 result for +, -, * and /). Nothing here relies
// on fma (not fused on SwiftShader, fused elsewhere), the builtin exp/log (3 + 2|x| ULP allowed)
// or float division (2.5 ULP allowed). Values cross function boundaries as f32 but every
// operation reads and writes them through their bits.

fn det_add(a: f32, b: f32) -> f32 {
  return bitcast<f32>(exact_add_bits(bitcast<u32>(a), bitcast<u32>(b)));
}

// a - b: b's sign bit flipped, then the sum (no float negation for a compiler to rewrite).
fn det_sub(a: f32, b: f32) -> f32 {
  return bitcast<f32>(exact_add_bits(bitcast<u32>(a), bitcast<u32>(b) ^ 0x80000000u));
}

fn det_mul(a: f32, b: f32) -> f32 {
  return exact_mul(a, b);
}

// 2^k for k in [-126, 127], from the exponent bits.
fn det_pow2(k: i32) -> f32 {
  return bitcast<f32>(u32(k + 127) << 23u);
}

// a / b correctly rounded (nearest even) for a zero or normal a and a normal b whose quotient is
// normal (the callers' domain: 1 / s with s in [1, 2^32), (m - 1) / (m + 1) with m near 1).
// The significands' quotient by binary long division: 26 bits of floor(ma / mb * 2^25), the
// remainder as the sticky bit.
fn det_div(a: f32, b: f32) -> f32 {
  let ab = bitcast<u32>(a);
  let bb = bitcast<u32>(b);
  let sign = (ab ^ bb) & 0x80000000u;
  if ((ab & 0x7fffffffu) == 0u) {
    return bitcast<f32>(sign);
  }
  let ea = i32((ab >> 23u) & 0xffu);
  let eb = i32((bb >> 23u) & 0xffu);
  let mb = (bb & 0x7fffffu) | 0x800000u;
  var rem = (ab & 0x7fffffu) | 0x800000u;
  var q = 0u;
  for (var i = 0u; i < 26u; i++) {
    q = q << 1u;
    if (rem >= mb) {
      rem -= mb;
      q |= 1u;
    }
    rem = rem << 1u;
  }
  // ma / mb in [1, 2): q has 26 bits, the quotient's exponent is ea - eb; in (1/2, 1): 25 bits, one lower.
  let wide = q >= 0x2000000u;
  let drop = select(1u, 2u, wide);
  let kept = q >> drop;
  let guard = (q >> (drop - 1u)) & 1u;
  let sticky = (select(0u, q & 1u, wide) | rem) != 0u;
  let up = guard == 1u && (sticky || (kept & 1u) == 1u);
  let biased = ea - eb + select(126, 127, wide);
  // kept carries the hidden bit (2^23): a rounding carry to 2^24 bumps the exponent.
  return bitcast<f32>(sign | ((u32(biased - 1) << 23u) + kept + select(0u, 1u, up)));
}

const DET_LOG2E: u32 = 0x3fb8aa3bu;
const DET_LN2_HI: u32 = 0x3f317200u; // its last 9 mantissa bits are zero: k * HI is exact for |k| < 512
const DET_LN2_LO: u32 = 0x35bfbe8eu; // ln 2 - HI, rounded

// exp(x + lo), lo a correction below half an ULP of x (the error of x = a - b, from TwoSum), so
// that exp(a - b) is right to about 1 ULP however far apart a and b are (x alone would carry
// |x| * 2^-24 of relative error into exp). NaN gives NaN (quieted); below -104 (exp < 2^-150)
// +0, above 89 +Inf, whatever lo is. Otherwise x = k ln2 + r with k = round(x log2 e) (halfway
// cases away from zero, decided by adding +-1/2 and truncating), |r| <= ln2/2 + a little, lo
// added to r; exp(r) - 1 by its Taylor series to r^8/8!
// (truncation below 2^-31 relative), Horner from the top; then 2^k in two exact halves, the
// second product rounding once (into the subnormals where the result is there). About 1 ULP.
fn det_exp_lo(x: f32, lo: f32) -> f32 {
  let b = bitcast<u32>(x);
  // NaN and Inf come from b's bits: WGSL refuses them as constants.
  if ((b & 0x7fffffffu) > 0x7f800000u) {
    return bitcast<f32>(b | 0x00400000u);
  }
  if (ordered_key(b) < ordered_key(0xc2d00000u)) {
    return 0.0;
  }
  if (ordered_key(b) > ordered_key(0x42b20000u)) {
    return bitcast<f32>((b & 0u) | 0x7f800000u);
  }
  let half = bitcast<f32>((b & 0x80000000u) | 0x3f000000u);
  let k = i32(det_add(det_mul(x, bitcast<f32>(DET_LOG2E)), half));
  let kf = f32(k);
  let r0 = det_sub(det_sub(x, det_mul(kf, bitcast<f32>(DET_LN2_HI))), det_mul(kf, bitcast<f32>(DET_LN2_LO)));
  let r = det_add(r0, lo);
  var q = det_add(det_mul(r, bitcast<f32>(0x37d00d01u)), bitcast<f32>(0x39500d01u)); // 1/8!, 1/7!
  q = det_add(det_mul(r, q), bitcast<f32>(0x3ab60b61u)); // 1/6!
  q = det_add(det_mul(r, q), bitcast<f32>(0x3c088889u)); // 1/5!
  q = det_add(det_mul(r, q), bitcast<f32>(0x3d2aaaabu)); // 1/4!
  q = det_add(det_mul(r, q), bitcast<f32>(0x3e2aaaabu)); // 1/3!
  q = det_add(det_mul(r, q), 0.5);
  let p = det_add(1.0, det_add(det_mul(det_mul(r, r), q), r));
  let k1 = k >> 1u;
  return det_mul(det_mul(p, det_pow2(k1)), det_pow2(k - k1));
}

// exp(x), as det_exp_lo(x, 0).
fn det_exp(x: f32) -> f32 {
  return det_exp_lo(x, 0.0);
}

// log(s) for s in [1, 2^32) (a softmax row's sum, at least exp(0) = 1). s = 2^e * m with m in
// (1/sqrt 2, sqrt 2]; log m = 2 atanh(u), u = (m - 1) / (m + 1) in [-0.172, 0.172] (m - 1 is
// exact), by its series 2u (1 + u^2/3 + u^4/5 + ... + u^10/11) (truncation below 2^-34
// relative); log s = e * ln2 (split as in det_exp) + log m. About 1 ULP.
fn det_log(s: f32) -> f32 {
  let sb = bitcast<u32>(s);
  var e = i32((sb >> 23u) & 0xffu) - 127;
  var mb = (sb & 0x7fffffu) | 0x3f800000u;
  if (mb > 0x3fb504f3u) {
    mb -= 0x00800000u;
    e += 1;
  }
  let m = bitcast<f32>(mb);
  let u = det_div(det_sub(m, 1.0), det_add(m, 1.0));
  let w = det_mul(u, u);
  var p = det_add(det_mul(w, bitcast<f32>(0x3dba2e8cu)), bitcast<f32>(0x3de38e39u)); // 1/11, 1/9
  p = det_add(det_mul(w, p), bitcast<f32>(0x3e124925u)); // 1/7
  p = det_add(det_mul(w, p), bitcast<f32>(0x3e4ccccdu)); // 1/5
  p = det_add(det_mul(w, p), bitcast<f32>(0x3eaaaaabu)); // 1/3
  let u2 = det_add(u, u);
  let lm = det_add(u2, det_mul(det_mul(u2, w), p));
  let ef = f32(e);
  return det_add(det_mul(ef, bitcast<f32>(DET_LN2_HI)), det_add(det_mul(ef, bitcast<f32>(DET_LN2_LO)), lm));
}

// A sum kept as an unevaluated pair hi + lo (hi the rounded sum, lo the error of the additions,
// by Knuth's TwoSum, exact in any order of magnitude): about 1 ULP for any number of terms.
struct DetSum {
  hi: f32,
  lo: f32,
}

fn det_two_sum(a: f32, b: f32) -> DetSum {
  let s = det_add(a, b);
  let bv = det_sub(s, a);
  let av = det_sub(s, bv);
  return DetSum(s, det_add(det_sub(a, av), det_sub(b, bv)));
}

fn det_sum_add(acc: DetSum, v: f32) -> DetSum {
  let t = det_two_sum(acc.hi, v);
  return DetSum(t.hi, det_add(acc.lo, t.lo));
}

fn det_sum_merge(a: DetSum, b: DetSum) -> DetSum {
  let t = det_two_sum(a.hi, b.hi);
  return DetSum(t.hi, det_add(det_add(a.lo, b.lo), t.lo));
}

// The same sum with hi = the rounded hi + lo and lo its error (Fast2Sum: |lo| <= half an ULP of
// hi after), as the row functions want it; an infinite or NaN hi is kept with lo = +0.
fn det_sum_normalize(acc: DetSum) -> DetSum {
  if ((bitcast<u32>(acc.hi) & 0x7f800000u) == 0x7f800000u) {
    return DetSum(acc.hi, 0.0);
  }
  let s = det_add(acc.hi, acc.lo);
  return DetSum(s, det_sub(acc.lo, det_sub(s, acc.hi)));
}

// hi + lo; an infinite or NaN hi is the sum (lo is then NaN, from Inf - Inf).
fn det_sum_value(acc: DetSum) -> f32 {
  if ((bitcast<u32>(acc.hi) & 0x7f800000u) == 0x7f800000u) {
    return acc.hi;
  }
  return det_add(acc.hi, acc.lo);
}
