// JSON text the way the compiler writes it (Python's json.dumps with sort_keys=True and
// separators=(',', ':')), identical in the C++ and Go bindings.
{
  // number(x): integers as digits; other numbers in Python's repr, the shortest decimal that
  // reads back as x (the C++ binding's std.toString writes 17 significant digits: 0.1 as
  // 0.10000000000000001). Fixed notation, as repr uses for 1e-4 <= |x| < 1e16.
  number(x)::
    local shortest(d) =
      local text = std.format('%.' + d + 'f', x);
      if d >= 17 || std.parseJson(text) == x then text else shortest(d + 1);
    if x == std.floor(x) then std.toString(x) else shortest(1),

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
