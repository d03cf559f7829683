// Object names, the same algorithm as generator/infergraph/naming.py and the chart's
// _helpers.tpl: parts joined with '-'; a name over 63 characters (the DNS-1123 label limit)
// keeps its first 54 characters, trailing '-' removed, then '-' and 8 hex digits of its SHA-256.
local sha256 = import 'sha256.libsonnet';

{
  maxLength:: 63,
  hashLength:: 8,

  // shorten(name): name itself when it fits, else its stable shortened form.
  shorten(name)::
    if std.length(name) <= self.maxLength then name
    else
      local keep = self.maxLength - self.hashLength - 1;
      std.rstripChars(std.substr(name, 0, keep), '-') + '-'
      + std.substr(sha256.hex(name), 0, self.hashLength),

  // fullname(parts): e.g. fullname([graph, predictor, node]) for a node's objects.
  fullname(parts):: self.shorten(std.join('-', parts)),
}
