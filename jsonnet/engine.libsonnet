// Which jsonnet implementation runs this library, for the few things only one does well.
{
  // go: go-jsonnet, told apart by a std field of its own (an internal one, which C++ jsonnet
  // will not add; should go-jsonnet drop it, the library only gets slower). Under go-jsonnet
  // std.sha256 works (C++ jsonnet's only fails) and numbers manifest as their shortest decimal.
  // tests/jsonnet/test_names.py checks this in both bindings.
  go: std.objectHasAll(std, '$objectFlatMerge'),
}
