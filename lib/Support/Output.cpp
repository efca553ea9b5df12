//===- Output.cpp - Writing output files without losing any ---------------===//

#include "mxc/Support/Output.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace llvm;

static Error error(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// Flushes `os` and turns a write error on it into an Error naming `what`
/// (clearing it, so that the stream's destructor does not abort).
static Error flushed(raw_fd_ostream &os, const Twine &what) {
  os.flush();
  if (!os.has_error())
    return Error::success();
  std::error_code ec = os.error();
  os.clear_error();
  return error("cannot write " + what + ": " + ec.message());
}

Error mxc::writeFileAtomically(StringRef path,
                               function_ref<Error(raw_fd_ostream &)> write) {
  if (path == "-") {
    Error result = write(outs());
    return joinErrors(std::move(result), flushed(outs(), "to stdout"));
  }
  sys::fs::file_status status;
  if (!sys::fs::status(path, status) && sys::fs::exists(status) &&
      !sys::fs::is_regular_file(status) && !sys::fs::is_directory(status)) {
    // A device or a pipe: nothing to replace, nothing to rename over.
    std::error_code ec;
    raw_fd_ostream os(path, ec, sys::fs::OF_None);
    if (ec)
      return error("cannot write '" + path + "': " + ec.message());
    Error result = write(os);
    return joinErrors(std::move(result), flushed(os, "'" + path + "'"));
  }
  SmallString<256> model(path);
  model += ".tmp-%%%%%%";
  Expected<sys::fs::TempFile> temp =
      sys::fs::TempFile::create(model, sys::fs::all_read | sys::fs::all_write);
  if (!temp)
    return error("cannot write '" + path + "': " + toString(temp.takeError()));
  Error result = Error::success();
  {
    raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    result = write(os);
    result = joinErrors(std::move(result), flushed(os, "'" + path + "'"));
  }
  if (result) {
    consumeError(temp->discard());
    return result;
  }
  if (Error e = temp->keep(path))
    return error("cannot write '" + path + "': " + toString(std::move(e)));
  return Error::success();
}

/// The absolute, dot-free form of `path`.
static SmallString<256> normalized(StringRef path) {
  SmallString<256> p(path);
  sys::fs::make_absolute(p);
  sys::path::remove_dots(p, /*remove_dot_dot=*/true);
  return p;
}

static bool sameFile(StringRef a, StringRef b) {
  bool equivalent = false;
  if (!sys::fs::equivalent(a, b, equivalent) && equivalent)
    return true;
  return normalized(a) == normalized(b);
}

Error mxc::checkOutputsDistinct(ArrayRef<NamedFile> outputs,
                                ArrayRef<NamedFile> inputs) {
  auto skipped = [](StringRef path) { return path.empty() || path == "-"; };
  for (size_t i = 0; i < outputs.size(); ++i) {
    auto [flag, path] = outputs[i];
    if (skipped(path))
      continue;
    // Where the file goes must take it, checked before any work: a new or
    // regular file needs a writable directory (its temporary goes there).
    llvm::sys::fs::file_status status;
    bool exists = !llvm::sys::fs::status(path, status);
    if (exists && llvm::sys::fs::is_directory(status))
      return error(flag + " '" + path + "' is a directory");
    if (!exists || llvm::sys::fs::is_regular_file(status)) {
      StringRef dir = llvm::sys::path::parent_path(path);
      if (dir.empty())
        dir = ".";
      if (!llvm::sys::fs::is_directory(dir))
        return error(flag + " '" + path + "': no directory '" + dir + "'");
      if (llvm::sys::fs::access(dir, llvm::sys::fs::AccessMode::Write))
        return error(flag + " '" + path + "': directory '" + dir +
                     "' is not writable");
    }
    for (size_t j = i + 1; j < outputs.size(); ++j)
      if (!skipped(outputs[j].second) && sameFile(path, outputs[j].second))
        return error(flag + " and " + outputs[j].first +
                     " name the same file '" + path + "'");
    for (auto [inputFlag, inputPath] : inputs)
      if (!skipped(inputPath) && sameFile(path, inputPath))
        return error(flag + " '" + path + "' is also " + inputFlag +
                     "; writing it would destroy that input");
  }
  return Error::success();
}
