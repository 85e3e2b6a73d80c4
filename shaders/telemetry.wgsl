// Dead-neuron telemetry for the training layer: from the 1-bit mask a forward kept (bit j of word
// w = element 32w + j, see masked.wgsl), count per unit how many of its outputs in the batch were
// active (mask bit set: positive, for relu). A unit whose count is 0 is dead for this batch.
//
// x is [outer, channels, inner] around the unit axis (as for the fused bias), so unit c owns
// elements (o * channels + c) * inner + j for every o, j. One invocation per unit walks its runs of
// `inner` consecutive bits: whole words inside a run go through countOneBits, the ragged ends bit
// by bit.

struct Shape {
  channels: u32,
  inner: u32,
  outer: u32,
  pad: u32,
}

@group(0) @binding(3) var<storage, read_write> counts: array<u32>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<uniform> shape: Shape;

@compute @workgroup_size(WORKGROUP_SIZE)
fn active_count_main(at: Invocation) {
  let c = flat_index(at);
  if (c >= shape.channels) {
    return;
  }
  var total = 0u;
  for (var o = 0u; o < shape.outer; o++) {
    var i = (o * shape.channels + c) * shape.inner;
    let end = i + shape.inner;
    while (i < end) {
      if ((i & 31u) == 0u && i + 32u <= end) {
        total += countOneBits(mask[i >> 5u]);
        i += 32u;
      } else {
        total += (mask[i >> 5u] >> (i & 31u)) & 1u;
        i += 1u;
      }
    }
  }
  counts[c] = total;
}
