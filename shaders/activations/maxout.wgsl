// Maxout: y is the maximum of each group of `pieces` neighbouring entries along an axis (group g
// takes entries g * pieces .. g * pieces + pieces - 1), as torch.max over the group:
//   - a NaN in the group wins (the first NaN, its bits kept), as max propagates NaN;
//   - otherwise the largest value, the first of equals winning (-0 and +0 are equal);
//   - the gradient goes to the winner only: dx = dy there, +0 at the group's other entries.
// Decided on the bits (ordered_key, is_nan_bits), so the winner's bits come through exactly.
// The kernels that walk the groups are in shaders/grouped.wgsl.

// true when the entry with bits `candidate` takes the lead from the one with bits `best`.
fn takes_lead(candidate: u32, best: u32) -> bool {
  if (is_nan_bits(best)) {
    return false;
  }
  return is_nan_bits(candidate) || ordered_key(candidate) > ordered_key(best);
}
