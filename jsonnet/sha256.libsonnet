// SHA-256 as Python's hashlib computes it (names.libsonnet and the prototypes' config hash).
// std.sha256 where it works (some hundreds of times faster): go-jsonnet has it, C++ jsonnet
// (0.22 too) declares it only to fail. Elsewhere the same digest in plain jsonnet.
// Every intermediate value stays below 2^53 so that jsonnet's doubles hold it exactly.
local M = 4294967296;
local K = [
  1116352408,
  1899447441,
  3049323471,
  3921009573,
  961987163,
  1508970993,
  2453635748,
  2870763221,
  3624381080,
  310598401,
  607225278,
  1426881987,
  1925078388,
  2162078206,
  2614888103,
  3248222580,
  3835390401,
  4022224774,
  264347078,
  604807628,
  770255983,
  1249150122,
  1555081692,
  1996064986,
  2554220882,
  2821834349,
  2952996808,
  3210313671,
  3336571891,
  3584528711,
  113926993,
  338241895,
  666307205,
  773529912,
  1294757372,
  1396182291,
  1695183700,
  1986661051,
  2177026350,
  2456956037,
  2730485921,
  2820302411,
  3259730800,
  3345764771,
  3516065817,
  3600352804,
  4094571909,
  275423344,
  430227734,
  506948616,
  659060556,
  883997877,
  958139571,
  1322822218,
  1537002063,
  1747873779,
  1955562222,
  2024104815,
  2227730452,
  2361852424,
  2428436474,
  2756734187,
  3204031479,
  3329325298,
];
local H0 = [1779033703, 3144134277, 1013904242, 2773480762, 1359893119, 2600822924, 528734635, 1541459225];

local rotr(x, n) = (x >> n) | ((x & ((1 << n) - 1)) << (32 - n));

local word(bytes, i) =
  (bytes[i] << 24) + (bytes[i + 1] << 16) + (bytes[i + 2] << 8) + bytes[i + 3];

// The message padded to a multiple of 64 bytes, with its bit length last (big-endian).
local pad(bytes) =
  local n = std.length(bytes);
  local zeros = (55 - n) % 64;
  local bits = n * 8;
  bytes + [128] + std.makeArray(if zeros < 0 then zeros + 64 else zeros, function(_) 0)
  + [std.floor(bits / std.pow(256, 7 - i)) % 256 for i in std.range(0, 7)];

// The 64-word message schedule of the block at offset. Loops are tail calls with `tailstrict`,
// so every word and state value is a number, not a chain of lazy thunks (which overflows the
// C++ binding's stack on longer texts).
local schedule(bytes, offset) =
  local extend(w) =
    local i = std.length(w);
    if i == 64 then w
    else
      local s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      local s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      local next = (w[i - 16] + s0 + w[i - 7] + s1) % M;
      if next == next then extend(w + [next]) tailstrict else w;
  extend([word(bytes, offset + 4 * i) for i in std.range(0, 15)]) tailstrict;

local compress(h, w) =
  local round(i, a, b, c, d, e, f, g, hh) =
    if i == 64 then
      [
        (h[0] + a) % M,
        (h[1] + b) % M,
        (h[2] + c) % M,
        (h[3] + d) % M,
        (h[4] + e) % M,
        (h[5] + f) % M,
        (h[6] + g) % M,
        (h[7] + hh) % M,
      ]
    else
      local S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      local ch = (e & f) ^ ((M - 1 - e) & g);
      local t1 = (hh + S1 + ch + K[i] + w[i]) % M;
      local S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      local maj = (a & b) ^ (a & c) ^ (b & c);
      round(i + 1, (t1 + S0 + maj) % M, a, b, c, (d + t1) % M, e, f, g) tailstrict;
  round(0, h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]) tailstrict;

local digest(str) =
  local bytes = pad(std.encodeUTF8(str));
  local blocks(offset, h) =
    if offset == std.length(bytes) then h
    else
      local next = compress(h, schedule(bytes, offset));
      // Comparing forces the eight words now (std.length would not).
      if next == next then blocks(offset + 64, next) tailstrict else h;
  std.join('', [std.format('%08x', x) for x in blocks(0, H0)]);

local engine = import 'engine.libsonnet';

{
  // hex(str): the SHA-256 of str's UTF-8 bytes as 64 lowercase hex digits.
  hex(str):: if engine.go then std.sha256(str) else digest(str),
  // portable(str): the same digest in plain jsonnet, for C++ jsonnet.
  portable(str):: digest(str),
}
