// The CPU backend's WebAssembly SIMD kernels beyond relu (run.mjs --cpu-simd; issue 16): per op at
// 2^20 elements, our SIMD kernels against our JS reference kernels and TensorFlow.js's WASM
// backend (XNNPACK, SIMD) computing the same, timed round-robin (one batch of each contender per
// round, so a load that drifts on this shared machine falls on all of them alike).
//
//   elementwise ops (hardsigmoid, hardswish, softsign, linear alpha 1.5 beta 0.25)   forwardInto / backwardInto on tensors made beforehand
//   f16 (hardswish on halves)                  forward + dispose: widen, the f32 kernel, round once
//   prelu ([1024, 1024], slopes along the last axis), maxout    the allocating calls + dispose
//   the exp family (sigmoid, tanh, silu, elu, selu, celu, softplus, gelu tanh, mish)   as elementwise
//   the training layer's mask (relu, leakyRelu, relu6)   layer.forward (y + mask) + dispose; layer.backward
//   a relu layer's fused bias ([1024, 1024])   layer.forwardBias + dispose; layer.backwardBias (dx, db)
//
// tfjs has no hardsigmoid, hardswish, softsign, linear or maxout op and no f16: its rows compose the same from its
// ops (each note says how), as tfjs-layers and a tfjs user would; no tfjs row where it cannot.
import { batchFor, benchData, benchHalves, measure } from './timing.mjs';

const N = 2 ** 20;

/**
 * Times `contenders` ({ name, run(j), setup?(batch), against?, note?, bytes }) round-robin over
 * `reps` rounds and adds one row each: add(name, n, bytes, time, against, note). run(j) is the
 * batch's j-th call; setup, if given, runs untimed before each batch.
 */
async function roundRobin(contenders, { reps, add }) {
  const batch = batchFor(N);
  const times = contenders.map(() => []);
  for (let round = 0; round < reps; round++) {
    for (const [i, c] of contenders.entries()) {
      const loop = async (k) => {
        for (let j = 0; j < k; j++) c.run(j);
      };
      const t = await measure(loop, { batch, reps: 1, warmup: round === 0 ? 2 : 0, setup: c.setup });
      times[i].push(t.median);
    }
  }
  for (const [i, c] of contenders.entries()) {
    const sorted = times[i].sort((a, b) => a - b);
    add(
      c.name,
      N,
      c.bytes,
      { median: sorted[Math.floor(reps / 2)], min: sorted[0], max: sorted[reps - 1], reps, batch },
      c.against,
      c.note,
    );
  }
}

/**
 * The training layer's 1-bit mask on the CPU (acts.layer(op) for relu, leakyRelu, relu6): forward
 * writes y and the mask words, backward dx from the mask and dy; the SIMD instance against the JS
 * one, on x and dy (`{ s, j }`: each instance's tensors of 2^20). Each timed backward reads a mask
 * of its own, from a layer that ran forward untimed before the batch.
 */
export async function maskLayerRows({ simd, js, x, dy, reps, add }) {
  const acts = { s: simd, j: js };
  for (const op of ['relu', 'leakyRelu', 'relu6']) {
    const layer = { s: simd.layer(op), j: js.layer(op) };
    const f = `cpu ${op} layer forward (y + mask)`;
    const bytes = 8 * N + N / 8;
    await roundRobin(
      [
        { name: f, bytes, run: () => layer.s.forward(x.s).dispose() },
        { name: `${f} (js kernels)`, bytes, run: () => layer.j.forward(x.j).dispose(), against: f },
      ],
      { reps, add },
    );
    layer.s.dispose();
    layer.j.dispose();
    // Layers that ran forward, one per call of the batch.
    const primed = (t) => {
      let made = [];
      return {
        setup(batch) {
          for (const l of made) l.dispose();
          made = Array.from({ length: batch }, () => {
            const l = acts[t].layer(op);
            l.forward(x[t]).dispose();
            return l;
          });
        },
        run: (j) => made[j].backward(dy[t]).dispose(),
        dispose: () => made.forEach((l) => l.dispose()),
      };
    };
    const ready = { s: primed('s'), j: primed('j') };
    const b = `cpu ${op} layer backward (from the mask)`;
    await roundRobin(
      [
        { name: b, bytes, setup: ready.s.setup, run: ready.s.run },
        { name: `${b} (js kernels)`, bytes, setup: ready.j.setup, run: ready.j.run, against: b },
      ],
      { reps, add },
    );
    ready.s.dispose();
    ready.j.dispose();
  }
}

/**
 * The fused bias of a relu layer on the CPU (x [1024, 1024], a bias per entry of the last axis):
 * forwardBias (z = x + b, y and the mask) and backwardBias (dx from the mask, db the tree sums of
 * dx per channel), the SIMD instance against the JS one and tfjs-wasm composing the same:
 * relu(add(x, b)) and, for the gradient, dz = dy * step(z) and db = sum(dz, 0). `data`, `dyData`:
 * 2^20 values each.
 */
export async function biasLayerRows({ simd, js, tf, tfWasm, data, dyData, reps, add }) {
  const C = 1024;
  const shape = [N / C, C];
  const bias = Float32Array.from({ length: C }, (_, i) => ((i % 13) - 6) / 8);
  const acts = { s: simd, j: js };
  const t = {};
  for (const k of ['s', 'j']) t[k] = { x: acts[k].tensor(data, shape), dy: acts[k].tensor(dyData, shape), b: acts[k].tensor(bias) };
  const tfx = tfWasm ? tf.tensor2d(data, shape) : undefined;
  const tfdy = tfWasm ? tf.tensor2d(dyData, shape) : undefined;
  const tfb = tfWasm ? tf.tensor1d(bias) : undefined;
  const f = 'cpu relu layer forwardBias, [1024, 1024]';
  const fwd = (k) => {
    const layer = acts[k].layer('relu');
    return { run: () => layer.forwardBias(t[k].x, t[k].b).dispose(), layer };
  };
  const fs = fwd('s');
  const fj = fwd('j');
  await roundRobin(
    [
      { name: f, bytes: 8 * N + N / 8, run: fs.run },
      { name: `${f} (js kernels)`, bytes: 8 * N + N / 8, run: fj.run, against: f },
      ...(tfWasm
        ? [
            {
              name: 'tfjs-wasm relu(add(x, b))',
              bytes: 8 * N,
              run: () => tf.tidy(() => tf.relu(tf.add(tfx, tfb))).dispose(),
              against: f,
              note: 'relu(add(x, b))',
            },
          ]
        : []),
    ],
    { reps, add },
  );
  fs.layer.dispose();
  fj.layer.dispose();
  // Layers that ran forwardBias, one per call of the batch (backward takes what forward kept).
  const primed = (k) => {
    let made = [];
    return {
      setup(batch) {
        for (const l of made) l.dispose();
        made = Array.from({ length: batch }, () => {
          const l = acts[k].layer('relu');
          l.forwardBias(t[k].x, t[k].b).dispose();
          return l;
        });
      },
      run: (i) => {
        const g = made[i].backwardBias(t[k].dy);
        g.dx.dispose();
        g.db.dispose();
      },
      dispose: () => made.forEach((l) => l.dispose()),
    };
  };
  const ready = { s: primed('s'), j: primed('j') };
  const b = 'cpu relu layer backwardBias (dx, db), [1024, 1024]';
  const grad = () =>
    tf
      .tidy(() => {
        const dz = tf.mul(tfdy, tf.step(tf.add(tfx, tfb)));
        return [dz, tf.sum(dz, 0)];
      })
      .forEach((x) => x.dispose());
  await roundRobin(
    [
      { name: b, bytes: 8 * N + N / 8, setup: ready.s.setup, run: ready.s.run },
      { name: `${b} (js kernels)`, bytes: 8 * N + N / 8, setup: ready.j.setup, run: ready.j.run, against: b },
      ...(tfWasm
        ? [
            {
              name: 'tfjs-wasm relu(add(x, b)) gradient',
              bytes: 12 * N,
              run: grad,
              against: b,
              note: 'dz = mul(dy, step(add(x, b))), db = sum(dz, 0): from x, no mask kept',
            },
          ]
        : []),
    ],
    { reps, add },
  );
  ready.s.dispose();
  ready.j.dispose();
  for (const k of ['s', 'j']) for (const v of Object.values(t[k])) v.dispose();
  for (const v of [tfx, tfdy, tfb]) v?.dispose();
}

/** The rows; `tf` is tfjs-core with the wasm backend registered. */
export async function cpuSimdRows({ createActivations, tf, reps, add, log }) {
  const simd = await createActivations({ backend: 'cpu', cpuKernels: 'wasm-simd' });
  const js = await createActivations({ backend: 'cpu', cpuKernels: 'js' });
  const tfWasm = await tf.setBackend('wasm');
  const data = benchData(N);
  const dyData = benchData(N).reverse();
  const made = [];
  const tensors = (acts) => {
    const t = { x: acts.tensor(data), dy: acts.tensor(dyData), y: acts.tensor(new Float32Array(N)) };
    made.push(...Object.values(t));
    return t;
  };
  const s = tensors(simd);
  const j = tensors(js);
  const tx = tfWasm ? tf.tensor1d(data) : undefined;
  const tdy = tfWasm ? tf.tensor1d(dyData) : undefined;
  const tfRow = (name, bytes, run, against, note) => (tfWasm ? [{ name, bytes, run, against, note }] : []);

  // hardsigmoid (PyTorch's alpha 1/6, beta 1/2) and hardswish, forward and backward.
  const elementwise = {
    hardsigmoid: {
      forward: () => tf.tidy(() => tf.clipByValue(tf.add(tf.mul(tx, 1 / 6), 0.5), 0, 1)).dispose(),
      forwardNote: 'clipByValue(add(mul(x, 1/6), 0.5), 0, 1)',
      backward: () =>
        tf.tidy(() => tf.mul(tdy, tf.mul(tf.cast(tf.logicalAnd(tf.greater(tx, -3), tf.less(tx, 3)), 'float32'), 1 / 6))).dispose(),
      backwardNote: 'mul(dy, mul(cast(logicalAnd(greater(x, -3), less(x, 3))), 1/6))',
    },
    hardswish: {
      forward: () => tf.tidy(() => tf.mul(tx, tf.div(tf.relu6(tf.add(tx, 3)), 6))).dispose(),
      forwardNote: 'mul(x, div(relu6(add(x, 3)), 6))',
      backward: () =>
        tf
          .tidy(() =>
            tf.where(tf.less(tx, -3), tf.zerosLike(tx), tf.where(tf.greater(tx, 3), tdy, tf.mul(tdy, tf.div(tf.add(tx, 1.5), 3)))),
          )
          .dispose(),
      backwardNote: 'where(less(x, -3), 0, where(greater(x, 3), dy, mul(dy, div(add(x, 1.5), 3))))',
    },
    softsign: {
      forward: () => tf.tidy(() => tf.div(tx, tf.add(1, tf.abs(tx)))).dispose(),
      forwardNote: 'div(x, add(1, abs(x))) (tfjs has no softsign op)',
      backward: () => tf.tidy(() => tf.div(tdy, tf.square(tf.add(1, tf.abs(tx))))).dispose(),
      backwardNote: 'div(dy, square(add(1, abs(x))))',
    },
    linear: {
      attrs: { alpha: 1.5, beta: 0.25 },
      forward: () => tf.tidy(() => tf.add(tf.mul(tx, 1.5), 0.25)).dispose(),
      forwardNote: 'add(mul(x, 1.5), 0.25) (tfjs has no linear op)',
      backward: () => tf.tidy(() => tf.mul(tdy, 1.5)).dispose(),
      backwardNote: 'mul(dy, 1.5)',
    },
  };
  for (const [op, tfjs] of Object.entries(elementwise)) {
    const f = `cpu ${op} forward`;
    const attrs = tfjs.attrs ?? {};
    await roundRobin(
      [
        { name: f, bytes: 8 * N, run: () => simd.forwardInto(op, { x: s.x, y: s.y }, attrs) },
        { name: `${f} (js kernels)`, bytes: 8 * N, run: () => js.forwardInto(op, { x: j.x, y: j.y }, attrs), against: f },
        ...tfRow(`tfjs-wasm ${op}`, 8 * N, tfjs.forward, f, tfjs.forwardNote),
      ],
      { reps, add },
    );
    const b = `cpu ${op} backward (from x)`;
    await roundRobin(
      [
        { name: b, bytes: 12 * N, run: () => simd.backwardInto(op, { x: s.x, dy: s.dy, dx: s.y }, attrs) },
        { name: `${b} (js kernels)`, bytes: 12 * N, run: () => js.backwardInto(op, { x: j.x, dy: j.dy, dx: j.y }, attrs), against: b },
        ...tfRow(`tfjs-wasm ${op} gradient`, 12 * N, tfjs.backward, b, tfjs.backwardNote),
      ],
      { reps, add },
    );
    log(`cpu-simd: ${op} done`);
  }

  // f16: hardswish on halves, forward + dispose (the conversions are most of the work).
  const halves = benchHalves(N);
  const hs = simd.tensor(halves);
  const hj = js.tensor(halves);
  made.push(hs, hj);
  const h = 'cpu hardswish forward f16';
  await roundRobin(
    [
      { name: h, bytes: 4 * N, run: () => simd.forward('hardswish', hs).dispose() },
      { name: `${h} (js kernels)`, bytes: 4 * N, run: () => js.forward('hardswish', hj).dispose(), against: h },
    ],
    { reps, add },
  );
  log('cpu-simd: f16 done');

  // prelu: x [1024, 1024], one slope per entry of the last axis.
  const C = 1024;
  const slopes = Float32Array.from({ length: C }, (_, i) => 0.01 * (i % 7) - 0.02);
  const shape = [N / C, C];
  const pa = { s: simd.tensor(slopes), j: js.tensor(slopes) };
  const px = { s: simd.tensor(data, shape), j: js.tensor(data, shape) };
  const pdy = { s: simd.tensor(dyData, shape), j: js.tensor(dyData, shape) };
  made.push(...Object.values(pa), ...Object.values(px), ...Object.values(pdy));
  const ta = tfWasm ? tf.tensor1d(slopes) : undefined;
  const tx2 = tfWasm ? tf.reshape(tx, shape) : undefined;
  const tdy2 = tfWasm ? tf.reshape(tdy, shape) : undefined;
  const pf = 'cpu prelu forward';
  await roundRobin(
    [
      { name: pf, bytes: 8 * N, run: () => simd.prelu(px.s, pa.s).dispose() },
      { name: `${pf} (js kernels)`, bytes: 8 * N, run: () => js.prelu(px.j, pa.j).dispose(), against: pf },
      ...tfRow('tfjs-wasm prelu', 8 * N, () => tf.prelu(tx2, ta).dispose(), pf, 'tf.prelu'),
    ],
    { reps, add },
  );
  const both = (r) => {
    r.dx.dispose();
    r.dalpha.dispose();
  };
  const pb = 'cpu prelu backward (dx, dalpha)';
  const preluGrad = () =>
    tf.tidy(() => {
      const pos = tf.greater(tx2, 0);
      return [tf.where(pos, tdy2, tf.mul(tdy2, ta)), tf.sum(tf.where(pos, tf.zerosLike(tx2), tf.mul(tdy2, tx2)), 0)];
    });
  await roundRobin(
    [
      { name: pb, bytes: 12 * N, run: () => both(simd.preluBackward({ x: px.s, alpha: pa.s, dy: pdy.s })) },
      { name: `${pb} (js kernels)`, bytes: 12 * N, run: () => both(js.preluBackward({ x: px.j, alpha: pa.j, dy: pdy.j })), against: pb },
      ...tfRow(
        'tfjs-wasm prelu gradient',
        12 * N,
        () => preluGrad().forEach((t) => t.dispose()),
        pb,
        "tfjs-core's registered Prelu gradient: where(x > 0, dy, dy * alpha), sum(where(x > 0, 0, dy * x), 0)",
      ),
    ],
    { reps, add },
  );
  log('cpu-simd: prelu done');

  // maxout: pieces 2 along the last axis (the default), and pieces 4 along axis 1 of [1024, 4, 256].
  for (const { label, xShape, options, tfShape, tfAxis } of [
    { label: 'pieces 2, last axis', xShape: [N / 2, 2], options: { pieces: 2 }, tfShape: [N / 2, 2], tfAxis: 1 },
    {
      label: 'pieces 4, axis 1 of [1024, 4, 256]',
      xShape: [1024, 4, 256],
      options: { pieces: 4, axis: 1 },
      tfShape: [1024, 4, 256],
      tfAxis: 1,
    },
  ]) {
    const mx = { s: simd.tensor(data, xShape), j: js.tensor(data, xShape) };
    const outShape = xShape.map((d, i) => (i === (options.axis ?? xShape.length - 1) ? d / options.pieces : d));
    const mdy = {
      s: simd.tensor(dyData.subarray(0, N / options.pieces), outShape),
      j: js.tensor(dyData.subarray(0, N / options.pieces), outShape),
    };
    made.push(...Object.values(mx), ...Object.values(mdy));
    const tm = tfWasm ? tf.reshape(tx, tfShape) : undefined;
    const mf = `cpu maxout forward, ${label}`;
    const bytes = 4 * N + (4 * N) / options.pieces;
    await roundRobin(
      [
        { name: mf, bytes, run: () => simd.maxout(mx.s, options).dispose() },
        { name: `${mf} (js kernels)`, bytes, run: () => js.maxout(mx.j, options).dispose(), against: mf },
        ...tfRow(
          `tfjs-wasm maxout, ${label}`,
          bytes,
          () => tf.max(tm, tfAxis).dispose(),
          mf,
          `max(x as [${tfShape.join(', ')}], axis ${tfAxis})`,
        ),
      ],
      { reps, add },
    );
    const mb = `cpu maxout backward, ${label}`;
    const bbytes = 8 * N + (4 * N) / options.pieces;
    await roundRobin(
      [
        { name: mb, bytes: bbytes, run: () => simd.maxoutBackward({ x: mx.s, dy: mdy.s }, options).dispose() },
        { name: `${mb} (js kernels)`, bytes: bbytes, run: () => js.maxoutBackward({ x: mx.j, dy: mdy.j }, options).dispose(), against: mb },
      ],
      { reps, add },
    );
    tm?.dispose();
  }
  log('cpu-simd: maxout done');

  // The exp family: forward, and backward (from y for sigmoid and tanh, from x for the rest), our
  // SIMD kernels against our JS kernels and tfjs-wasm. tfjs has sigmoid, tanh, elu, selu and
  // softplus as ops (Elu/Selu/Softplus/Sigmoid/Tanh kernels of its WASM backend); silu, celu,
  // gelu (with tf.erf for approximate 'none') and mish it composes from them. Backward, tfjs rows
  // compose the gradient's formula where it is short (a model's tape runs its registered
  // gradients, which compose the same ops); none for selu, celu, gelu and mish. tfjs's SELU has
  // PyTorch's constants, as ours by default.
  const ys = { s: simd.tensor(new Float32Array(N)), j: js.tensor(new Float32Array(N)) };
  const yData = (() => {
    const y = new Float32Array(N);
    for (let i = 0; i < N; i++) y[i] = 1 / (1 + Math.exp(-data[i]));
    return y;
  })();
  const fromY = { s: simd.tensor(yData), j: js.tensor(yData) };
  made.push(...Object.values(ys), ...Object.values(fromY));
  const ty = tfWasm ? tf.tensor1d(yData) : undefined;
  const GELU_BETA = Math.sqrt(2 / Math.PI);
  // Each tfjs expression returns its tensor (timed inside tf.tidy, then disposed).
  const expFamily = [
    {
      op: 'sigmoid',
      forward: [() => tf.sigmoid(tx), 'tf.sigmoid'],
      backward: [() => tf.mul(tdy, tf.mul(ty, tf.sub(1, ty))), 'mul(dy, mul(y, sub(1, y)))'],
    },
    {
      op: 'tanh',
      forward: [() => tf.tanh(tx), 'tf.tanh'],
      backward: [() => tf.mul(tdy, tf.sub(1, tf.square(ty))), 'mul(dy, sub(1, square(y)))'],
    },
    {
      op: 'silu',
      forward: [() => tf.mul(tx, tf.sigmoid(tx)), 'mul(x, sigmoid(x))'],
      backward: [
        () => {
          const sx = tf.sigmoid(tx);
          return tf.mul(tdy, tf.mul(sx, tf.add(1, tf.mul(tx, tf.sub(1, sx)))));
        },
        'mul(dy, mul(s, add(1, mul(x, sub(1, s))))), s = sigmoid(x)',
      ],
    },
    {
      op: 'elu',
      forward: [() => tf.elu(tx), 'tf.elu'],
      backward: [() => tf.where(tf.greater(tx, 0), tdy, tf.mul(tdy, tf.exp(tx))), 'where(greater(x, 0), dy, mul(dy, exp(x)))'],
    },
    { op: 'selu', forward: [() => tf.selu(tx), 'tf.selu'] },
    {
      op: 'celu',
      attrs: { alpha: 2 },
      forward: [
        () => tf.where(tf.greater(tx, 0), tx, tf.mul(2, tf.sub(tf.exp(tf.div(tx, 2)), 1))),
        'where(greater(x, 0), x, mul(2, sub(exp(div(x, 2)), 1))) (alpha 2: tf.elu is CELU at alpha 1)',
      ],
    },
    {
      op: 'softplus',
      forward: [() => tf.softplus(tx), 'tf.softplus (no threshold)'],
      backward: [() => tf.mul(tdy, tf.sigmoid(tx)), 'mul(dy, sigmoid(x))'],
    },
    {
      op: 'gelu',
      label: "gelu approximate 'none'",
      forward: [
        () => tf.mul(tf.mul(0.5, tx), tf.add(1, tf.erf(tf.mul(tx, Math.SQRT1_2)))),
        'mul(mul(0.5, x), add(1, erf(mul(x, sqrt(1/2)))))',
      ],
    },
    {
      op: 'gelu',
      attrs: { approximate: 'tanh' },
      label: "gelu approximate 'tanh'",
      forward: [
        () => tf.mul(tf.mul(0.5, tx), tf.add(1, tf.tanh(tf.mul(GELU_BETA, tf.add(tx, tf.mul(0.044715, tf.pow(tx, 3))))))),
        'mul(mul(0.5, x), add(1, tanh(mul(sqrt(2/pi), add(x, mul(0.044715, pow(x, 3)))))))',
      ],
    },
    { op: 'mish', forward: [() => tf.mul(tx, tf.tanh(tf.softplus(tx))), 'mul(x, tanh(softplus(x)))'] },
  ];
  // How far a contender's results are from our JS kernels' (each the float64 formula rounded once
  // to f32), over the bench's 2^20 inputs: how many differ; the largest ULP distance where our
  // result is at least 2^-20 in magnitude (below that a flush to 0 is a distance of billions of
  // ULP, in tfjs's far-left gelu); the largest absolute difference below it.
  const distance = (got, want) => {
    const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
    const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
    const line = (bits) => (bits >>> 31 ? -(bits & 0x7fffffff) : bits);
    let ulp = 0;
    let small = 0;
    let differ = 0;
    for (let i = 0; i < g.length; i++) {
      if (g[i] === w[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
      differ++;
      if (Number.isNaN(got[i]) || Number.isNaN(want[i])) ulp = Infinity;
      else if (Math.abs(want[i]) >= 2 ** -20) ulp = Math.max(ulp, Math.abs(line(g[i]) - line(w[i])));
      else small = Math.max(small, Math.abs(got[i] - want[i]));
    }
    if (differ === 0) return "0 of 2^20 results differ from our JS kernels'";
    const tiny = small > 0 ? `, by at most ${small.toPrecision(2)} below` : '';
    return `${differ} of 2^20 results differ from our JS kernels', by at most ${ulp} ULP where ours is 2^-20 or more in magnitude${tiny}`;
  };
  const tfValues = (expr) => {
    const t = tf.tidy(expr);
    const v = t.dataSync();
    t.dispose();
    return v;
  };
  for (const { op, attrs = {}, label = op, forward, backward } of expFamily) {
    const f = `cpu ${label} forward`;
    simd.forwardInto(op, { x: s.x, y: s.y }, attrs);
    js.forwardInto(op, { x: j.x, y: j.y }, attrs);
    const reference = await j.y.read();
    await roundRobin(
      [
        {
          name: f,
          bytes: 8 * N,
          run: () => simd.forwardInto(op, { x: s.x, y: s.y }, attrs),
          note: distance(await s.y.read(), reference),
        },
        { name: `${f} (js kernels)`, bytes: 8 * N, run: () => js.forwardInto(op, { x: j.x, y: j.y }, attrs), against: f },
        ...(tfWasm
          ? tfRow(
              `tfjs-wasm ${label}`,
              8 * N,
              () => tf.tidy(forward[0]).dispose(),
              f,
              `${forward[1]}; ${distance(tfValues(forward[0]), reference)}`,
            )
          : []),
      ],
      { reps, add },
    );
    const fromYOp = op === 'sigmoid' || op === 'tanh';
    const b = `cpu ${label} backward (from ${fromYOp ? 'y' : 'x'})`;
    const saved = (t) => (fromYOp ? { y: t === 's' ? fromY.s : fromY.j } : { x: t === 's' ? s.x : j.x });
    simd.backwardInto(op, { ...saved('s'), dy: s.dy, dx: ys.s }, attrs);
    js.backwardInto(op, { ...saved('j'), dy: j.dy, dx: ys.j }, attrs);
    const gradient = await ys.j.read();
    await roundRobin(
      [
        {
          name: b,
          bytes: 12 * N,
          run: () => simd.backwardInto(op, { ...saved('s'), dy: s.dy, dx: ys.s }, attrs),
          note: distance(await ys.s.read(), gradient),
        },
        {
          name: `${b} (js kernels)`,
          bytes: 12 * N,
          run: () => js.backwardInto(op, { ...saved('j'), dy: j.dy, dx: ys.j }, attrs),
          against: b,
        },
        ...(backward && tfWasm
          ? tfRow(
              `tfjs-wasm ${label} gradient`,
              12 * N,
              () => tf.tidy(backward[0]).dispose(),
              b,
              `${backward[1]}; ${distance(tfValues(backward[0]), gradient)}`,
            )
          : []),
      ],
      { reps, add },
    );
    log(`cpu-simd: ${label} done`);
  }
  ty?.dispose();

  await maskLayerRows({ simd, js, x: { s: s.x, j: j.x }, dy: { s: s.dy, j: j.dy }, reps, add });
  log('cpu-simd: mask layers done');
  await biasLayerRows({ simd, js, tf, tfWasm, data, dyData, reps, add });
  log('cpu-simd: bias layers done');

  for (const t of made) t.dispose();
  for (const t of [tx, tdy, ta, tx2, tdy2]) t?.dispose();
  simd.dispose();
  js.dispose();
  return tfWasm ? [] : ['tfjs-wasm did not start: its rows are missing'];
}
