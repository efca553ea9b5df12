// RUN: not mxc-opt %s --mxc-rtn="format=mxfp5" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not mxc-opt %s --mxc-rtn="format=mxfp4 block=3" 2>&1 | FileCheck %s --check-prefix=BLOCK
// FORMAT: error: mxc-rtn: unknown format 'mxfp5' or invalid block size 32
// BLOCK: error: mxc-rtn: unknown format 'mxfp4' or invalid block size 3
func.func @f() {
  return
}
