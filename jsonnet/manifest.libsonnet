// JSON text the way the compiler writes it (Python's json.dumps with sort_keys=True and
// separators=(',', ':')), identical in the C++ and Go bindings.
local engine = import 'engine.libsonnet';

{
  // number(x): integers as digits; other numbers as Python's repr writes them: the shortest
  // decimal that reads back as x, fixed for 1e-4 <= |x| < 1e16, else like 1.5e-07. go-jsonnet
  // manifests that shortest decimal itself; C++ jsonnet gives 17 correctly rounded digits
  // (std.toString), rounded here half-even to 1, 2, ... digits until std.parseJson reads the
  // text back as x. Rounding twice can pick the farther of two shortest texts when the 17th
  // digit is a 5 (about one float in 40): C++ may then write the last digit one off.
  number(x)::
    if x == std.floor(x) then std.toString(x)
    else
      local source = if engine.go then std.manifestJsonMinified(std.abs(x)) else std.toString(std.abs(x));
      local parts = std.split(source, 'e');
      local whole = std.split(parts[0] + '.', '.');
      local all = [std.parseInt(c) for c in std.stringChars(whole[0] + whole[1])];
      local zeros = [i for i in std.range(0, std.length(all) - 1) if all[i] != 0][0];
      local digits = all[zeros:];
      // x = 0.d1 d2 ... * 10^point
      local point = std.length(whole[0]) - zeros + (if std.length(parts) > 1 then std.parseInt(parts[1]) else 0);
      local rounded(n) =
        local kept = digits[:n];
        local rest = digits[n:] + [0];
        local up = rest[0] > 5 || (rest[0] == 5 && (std.any([r != 0 for r in rest[1:]]) || kept[n - 1] % 2 == 1));
        local carry(ds, i) =
          if i < 0 then [1] + ds
          else if ds[i] == 9 then carry(ds[:i] + [0] + ds[i + 1:], i - 1)
          else ds[:i] + [ds[i] + 1] + ds[i + 1:];
        local out = if up then carry(kept, n - 1) else kept;
        // a carry out of the first digit (9.96 -> 10.0) moves the point
        { digits: out[:n], point: point + std.length(out) - n };
      local text(r) =
        local ds = std.join('', [std.toString(c) for c in r.digits]);
        local e = r.point - 1;
        (if x < 0 then '-' else '')
        + if e < -4 || e >= 16 then
          ds[0] + (if std.length(ds) > 1 then '.' + ds[1:] else '')
          + 'e' + (if e < 0 then '-' else '+') + (if std.abs(e) < 10 then '0' else '') + std.toString(std.abs(e))
        else if e < 0 then '0.' + std.repeat('0', -e - 1) + ds
        else
          local padded = ds + std.repeat('0', std.max(0, e + 1 - std.length(ds)));
          padded[:e + 1] + '.' + (if std.length(padded) > e + 1 then padded[e + 1:] else '0');
      local shortest(n) =
        local t = text(rounded(n));
        if n >= std.length(digits) || std.parseJson(t) == x then t else shortest(n + 1);
      shortest(1),

  // compact(v): std.manifestJsonMinified's text, but strings are escaped natively by
  // std.toString (manifestJsonMinified escapes in jsonnet code, ~100 ms a document in C++).
  compact(v)::
    local t = std.type(v);
    if t == 'object' then
      '{' + std.join(',', [self.compact(k) + ':' + self.compact(v[k]) for k in std.objectFields(v)]) + '}'
    else if t == 'array' then
      '[' + std.join(',', [self.compact(x) for x in v]) + ']'
    else if t == 'string' then
      local quoted = std.toString([v]);
      std.substr(quoted, 1, std.length(quoted) - 2)
    else if t == 'number' then self.number(v)
    else std.toString(v),
}
