// Post-training quantization end to end: a float linear layer carrying
// calibration statistics (act_absmax, and the Hessian of 256 correlated
// calibration rows with outlier channels) goes through a PTQ pass pipeline,
// is lowered and run; mxc-testgen checks the result against the numerics
// library applying the same method (with the f32 roundings the passes make),
// within the f32 accumulation bound (K + 4) 2^-24 sum |x w|. The reference
// differs by orders of magnitude from a wrong method (RTN for GPTQ, GPTQ
// without SmoothQuant), so each run shows its pass did its job.

// RUN: mxc-testgen ptq --method=rtn --format=mxfp4 > %t.rtn.mlir
// RUN: mxc-opt %t.rtn.mlir --mxc-rtn=format=mxfp4 --mxc-lower-to-llvm | %run-cpu > %t.rtn.out
// RUN: mxc-testgen ptq --method=rtn --format=mxfp4 --check=%t.rtn.out | FileCheck %s --check-prefix=RTN
// RTN: ptq rtn mxfp4: all 48 of 48 values within tolerance

// RUN: mxc-testgen ptq --method=gptq --format=mxfp4 > %t.gptq.mlir
// RUN: mxc-opt %t.gptq.mlir --mxc-gptq=format=mxfp4 --mxc-lower-to-llvm | %run-cpu > %t.gptq.out
// RUN: mxc-testgen ptq --method=gptq --format=mxfp4 --check=%t.gptq.out | FileCheck %s --check-prefix=GPTQ
// GPTQ: ptq gptq mxfp4: all 48 of 48 values within tolerance

// RUN: mxc-testgen ptq --method=gptq --format=mxint8 > %t.int8.mlir
// RUN: mxc-opt %t.int8.mlir --mxc-gptq=format=mxint8 --mxc-lower-to-llvm | %run-cpu > %t.int8.out
// RUN: mxc-testgen ptq --method=gptq --format=mxint8 --check=%t.int8.out | FileCheck %s --check-prefix=INT8
// INT8: ptq gptq mxint8: all 48 of 48 values within tolerance

// SmoothQuant alone leaves the float function unchanged.
// RUN: mxc-testgen ptq --method=smooth > %t.smooth.mlir
// RUN: mxc-opt %t.smooth.mlir --mxc-smoothquant --mxc-lower-to-llvm | %run-cpu > %t.smooth.out
// RUN: mxc-testgen ptq --method=smooth --check=%t.smooth.out | FileCheck %s --check-prefix=SMOOTH
// SMOOTH: ptq smooth mxfp4: all 48 of 48 values within tolerance

// SmoothQuant, then GPTQ on the smoothed weight with the rescaled Hessian.
// RUN: mxc-testgen ptq --method=smooth-gptq --format=mxfp6_e3m2 > %t.sg.mlir
// RUN: mxc-opt %t.sg.mlir --mxc-smoothquant --mxc-gptq=format=mxfp6_e3m2 --mxc-lower-to-llvm | %run-cpu > %t.sg.out
// RUN: mxc-testgen ptq --method=smooth-gptq --format=mxfp6_e3m2 --check=%t.sg.out | FileCheck %s --check-prefix=SG
// SG: ptq smooth-gptq mxfp6_e3m2: all 48 of 48 values within tolerance
