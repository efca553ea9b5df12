//===- DeviceConstants.cpp - mxc-gpu-device-constants ---------------------===//
//
// A model's weights stay in the host object; its host code asks mxc's
// runtime for their device copies, uploaded once.
//
//===----------------------------------------------------------------------===//

#include "mxc/GPU/Passes.h"

#include "mlir/Dialect/LLVMIR/FunctionCallUtils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"

namespace mlir::mxc {
#define GEN_PASS_DEF_MXCGPUDEVICECONSTANTSPASS
#include "mxc/GPU/Passes.h.inc"
} // namespace mlir::mxc

using namespace mlir;
using namespace mlir::mxc;

namespace {

constexpr llvm::StringLiteral kDeviceConstant = "mxc_cuda_device_constant";

struct MXCGPUDeviceConstantsPass
    : mlir::mxc::impl::MXCGPUDeviceConstantsPassBase<
          MXCGPUDeviceConstantsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<LLVM::AddressOfOp> addresses;
    module.walk([&](LLVM::AddressOfOp address) {
      // The kernels' CPU forms for the emulator (mxc-gpu-emulate) read the
      // host's tables where they are.
      auto parent = address->getParentOfType<LLVM::LLVMFuncOp>();
      if (parent && parent.getName().starts_with(kEmulatedPrefix))
        return;
      auto global = symbols.lookup<LLVM::GlobalOp>(address.getGlobalName());
      if (!global || !global.getConstant() ||
          !isa_and_nonnull<ElementsAttr>(global.getValueOrNull()))
        return;
      // Unused, or already the argument of its device copy's call (a
      // second run).
      bool replaced = llvm::all_of(address->getUsers(), [](Operation *user) {
        auto call = dyn_cast<LLVM::CallOp>(user);
        return call && call.getCallee() == kDeviceConstant;
      });
      if (!replaced)
        addresses.push_back(address);
    });
    if (addresses.empty())
      return;

    OpBuilder builder(module.getContext());
    auto ptr = LLVM::LLVMPointerType::get(module.getContext());
    auto i64 = builder.getI64Type();
    FailureOr<LLVM::LLVMFuncOp> callee = LLVM::lookupOrCreateFn(
        builder, module, kDeviceConstant, {ptr, i64}, ptr);
    if (failed(callee)) // declared with another type (reported there)
      return signalPassFailure();
    DataLayout layout(module);
    for (LLVM::AddressOfOp address : addresses) {
      auto global = symbols.lookup<LLVM::GlobalOp>(address.getGlobalName());
      int64_t bytes = layout.getTypeSize(global.getType()).getFixedValue();
      builder.setInsertionPointAfter(address);
      Value size = LLVM::ConstantOp::create(builder, address.getLoc(), i64,
                                            builder.getI64IntegerAttr(bytes));
      auto call = LLVM::CallOp::create(builder, address.getLoc(), *callee,
                                       ValueRange{address, size});
      address.getResult().replaceUsesWithIf(
          call.getResult(), [](OpOperand &use) {
            auto user = dyn_cast<LLVM::CallOp>(use.getOwner());
            return !user || user.getCallee() != kDeviceConstant;
          });
    }
  }
};

} // namespace
