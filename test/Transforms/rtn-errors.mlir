// RUN: not mxc-opt %s --mxc-rtn="format=mxfp5" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not mxc-opt %s --mxc-rtn="format=mxfp4 block=3" 2>&1 | FileCheck %s --check-prefix=BLOCK
// The format is an enum option: a wrong name fails when the pipeline is
// parsed, before any pass runs.
// FORMAT: for the --format option: Cannot find option named 'mxfp5'!
// BLOCK: error: mxc-rtn: a block of 3 mxfp4 elements does not fill whole bytes or is not in [1, 65536]
func.func @f() {
  return
}
