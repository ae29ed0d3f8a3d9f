#include "support/failing_vfs.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace outreach::testing {

struct FailingVfs::State {
  sqlite3_vfs shim{};
  sqlite3_vfs* real = nullptr;
  std::string folder;  // canonical, with a trailing separator
  std::uint64_t writes = 0;
  std::uint64_t syncs = 0;
  std::uint64_t failed = 0;
  std::optional<FileKind> first_failure_on;
  std::optional<Fault> fault;

  // The code the write numbered `number` gets: SQLITE_OK, or the fault's.
  int verdict(std::uint64_t number, FileKind kind) {
    if (!fault) return SQLITE_OK;
    if (number < fault->at || (number > fault->at && !fault->sticky)) return SQLITE_OK;
    if (failed++ == 0) first_failure_on = kind;
    return fault->code;
  }
};

namespace {

using State = FailingVfs::State;
using FileKind = FailingVfs::FileKind;

// A file opened through the shim: its own header, then the real VFS's file in the same block
// (SQLite allocates szOsFile bytes for both).
struct ShimFile {
  sqlite3_file base;
  State* state;
  FileKind kind;
  bool watched;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(this) + header_size()); }
  static constexpr std::size_t header_size() { return (sizeof(ShimFile) + 15) / 16 * 16; }
};

ShimFile& shim_of(sqlite3_file* file) { return *reinterpret_cast<ShimFile*>(file); }
sqlite3_file* real_of(sqlite3_file* file) { return shim_of(file).real(); }

int shim_close(sqlite3_file* file) { return real_of(file)->pMethods->xClose(real_of(file)); }

int shim_read(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
  return real_of(file)->pMethods->xRead(real_of(file), buffer, amount, offset);
}

int shim_write(sqlite3_file* file, const void* buffer, int amount, sqlite3_int64 offset) {
  ShimFile& shim = shim_of(file);
  if (shim.watched) {
    if (const int refused = shim.state->verdict(++shim.state->writes, shim.kind); refused != SQLITE_OK) return refused;
  }
  return shim.real()->pMethods->xWrite(shim.real(), buffer, amount, offset);
}

int shim_truncate(sqlite3_file* file, sqlite3_int64 size) {
  ShimFile& shim = shim_of(file);
  if (shim.watched) {
    if (const int refused = shim.state->verdict(++shim.state->writes, shim.kind); refused != SQLITE_OK) return refused;
  }
  return shim.real()->pMethods->xTruncate(shim.real(), size);
}

int shim_sync(sqlite3_file* file, int flags) {
  ShimFile& shim = shim_of(file);
  if (!shim.watched) return shim.real()->pMethods->xSync(shim.real(), flags);
  ++shim.state->syncs;
  return SQLITE_OK;  // the flush is not what is tested (see the header)
}

int shim_file_size(sqlite3_file* file, sqlite3_int64* size) {
  return real_of(file)->pMethods->xFileSize(real_of(file), size);
}
int shim_lock(sqlite3_file* file, int level) { return real_of(file)->pMethods->xLock(real_of(file), level); }
int shim_unlock(sqlite3_file* file, int level) { return real_of(file)->pMethods->xUnlock(real_of(file), level); }
int shim_check_reserved_lock(sqlite3_file* file, int* out) {
  return real_of(file)->pMethods->xCheckReservedLock(real_of(file), out);
}
int shim_file_control(sqlite3_file* file, int op, void* argument) {
  return real_of(file)->pMethods->xFileControl(real_of(file), op, argument);
}
int shim_sector_size(sqlite3_file* file) { return real_of(file)->pMethods->xSectorSize(real_of(file)); }
int shim_device_characteristics(sqlite3_file* file) {
  return real_of(file)->pMethods->xDeviceCharacteristics(real_of(file));
}
int shim_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return real_of(file)->pMethods->xShmMap(real_of(file), region, size, extend, out);
}
int shim_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return real_of(file)->pMethods->xShmLock(real_of(file), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* file) { real_of(file)->pMethods->xShmBarrier(real_of(file)); }
int shim_shm_unmap(sqlite3_file* file, int delete_flag) {
  return real_of(file)->pMethods->xShmUnmap(real_of(file), delete_flag);
}
int shim_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  return real_of(file)->pMethods->xFetch(real_of(file), offset, amount, out);
}
int shim_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return real_of(file)->pMethods->xUnfetch(real_of(file), offset, page);
}

// Version 3 methods; a file whose real methods are of an older version gets the older set
// (SQLite looks at iVersion before it calls the later ones).
sqlite3_io_methods methods_of_version(int version) {
  sqlite3_io_methods methods{};
  methods.iVersion = version;
  methods.xClose = shim_close;
  methods.xRead = shim_read;
  methods.xWrite = shim_write;
  methods.xTruncate = shim_truncate;
  methods.xSync = shim_sync;
  methods.xFileSize = shim_file_size;
  methods.xLock = shim_lock;
  methods.xUnlock = shim_unlock;
  methods.xCheckReservedLock = shim_check_reserved_lock;
  methods.xFileControl = shim_file_control;
  methods.xSectorSize = shim_sector_size;
  methods.xDeviceCharacteristics = shim_device_characteristics;
  if (version >= 2) {
    methods.xShmMap = shim_shm_map;
    methods.xShmLock = shim_shm_lock;
    methods.xShmBarrier = shim_shm_barrier;
    methods.xShmUnmap = shim_shm_unmap;
  }
  if (version >= 3) {
    methods.xFetch = shim_fetch;
    methods.xUnfetch = shim_unfetch;
  }
  return methods;
}

const sqlite3_io_methods shim_methods[] = {methods_of_version(1), methods_of_version(2), methods_of_version(3)};

State& state_of(sqlite3_vfs* vfs) { return *static_cast<State*>(vfs->pAppData); }

int shim_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  State& state = state_of(vfs);
  ShimFile& shim = shim_of(file);
  shim.state = &state;
  shim.kind = (flags & SQLITE_OPEN_MAIN_DB) != 0 ? FileKind::database
              : (flags & SQLITE_OPEN_WAL) != 0   ? FileKind::wal
                                                 : FileKind::other;
  shim.watched = name != nullptr && std::string_view(name).starts_with(state.folder);
  const int result = state.real->xOpen(state.real, name, shim.real(), flags, out_flags);
  const sqlite3_io_methods* real_methods = shim.real()->pMethods;
  // Without real methods SQLite will not call xClose, so neither may the shim's.
  shim.base.pMethods = real_methods == nullptr ? nullptr : &shim_methods[std::clamp(real_methods->iVersion, 1, 3) - 1];
  return result;
}

int shim_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return state_of(vfs).real->xDelete(state_of(vfs).real, name, sync_dir);
}
int shim_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return state_of(vfs).real->xAccess(state_of(vfs).real, name, flags, out);
}
int shim_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return state_of(vfs).real->xFullPathname(state_of(vfs).real, name, size, out);
}
void* shim_dl_open(sqlite3_vfs* vfs, const char* name) { return state_of(vfs).real->xDlOpen(state_of(vfs).real, name); }
void shim_dl_error(sqlite3_vfs* vfs, int size, char* out) { state_of(vfs).real->xDlError(state_of(vfs).real, size, out); }
void (*shim_dl_sym(sqlite3_vfs* vfs, void* library, const char* symbol))(void) {
  return state_of(vfs).real->xDlSym(state_of(vfs).real, library, symbol);
}
void shim_dl_close(sqlite3_vfs* vfs, void* library) { state_of(vfs).real->xDlClose(state_of(vfs).real, library); }
int shim_randomness(sqlite3_vfs* vfs, int size, char* out) {
  return state_of(vfs).real->xRandomness(state_of(vfs).real, size, out);
}
int shim_sleep(sqlite3_vfs* vfs, int microseconds) { return state_of(vfs).real->xSleep(state_of(vfs).real, microseconds); }
int shim_current_time(sqlite3_vfs* vfs, double* out) { return state_of(vfs).real->xCurrentTime(state_of(vfs).real, out); }
int shim_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
  return state_of(vfs).real->xGetLastError(state_of(vfs).real, size, out);
}
int shim_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return state_of(vfs).real->xCurrentTimeInt64(state_of(vfs).real, out);
}

}  // namespace

FailingVfs::FailingVfs(const std::filesystem::path& folder) : state_(new State) {
  state_->real = sqlite3_vfs_find(nullptr);
  REQUIRE(state_->real != nullptr);
  state_->folder = std::filesystem::canonical(folder).string() + "/";
  sqlite3_vfs& shim = state_->shim;
  const sqlite3_vfs& real = *state_->real;
  // Version 2 at most: the system-call overrides of version 3 are the real VFS's business.
  shim.iVersion = std::min(real.iVersion, 2);
  shim.szOsFile = static_cast<int>(ShimFile::header_size()) + real.szOsFile;
  shim.mxPathname = real.mxPathname;
  shim.zName = "outreach-failing";
  shim.pAppData = state_;
  shim.xOpen = shim_open;
  shim.xDelete = shim_delete;
  shim.xAccess = shim_access;
  shim.xFullPathname = shim_full_pathname;
  shim.xDlOpen = shim_dl_open;
  shim.xDlError = shim_dl_error;
  shim.xDlSym = shim_dl_sym;
  shim.xDlClose = shim_dl_close;
  shim.xRandomness = shim_randomness;
  shim.xSleep = shim_sleep;
  shim.xCurrentTime = shim_current_time;
  shim.xGetLastError = shim_get_last_error;
  if (shim.iVersion >= 2) shim.xCurrentTimeInt64 = shim_current_time_int64;
  REQUIRE(sqlite3_vfs_register(&shim, 1) == SQLITE_OK);
}

FailingVfs::~FailingVfs() {
  sqlite3_vfs_unregister(&state_->shim);
  sqlite3_vfs_register(state_->real, 1);  // the default again
  delete state_;
}

void FailingVfs::healthy() {
  state_->writes = state_->syncs = state_->failed = 0;
  state_->first_failure_on.reset();
  state_->fault.reset();
}

void FailingVfs::arm(const Fault& fault) {
  healthy();
  state_->fault = fault;
}

std::uint64_t FailingVfs::writes() const noexcept { return state_->writes; }
std::uint64_t FailingVfs::syncs() const noexcept { return state_->syncs; }
std::uint64_t FailingVfs::failed() const noexcept { return state_->failed; }
std::optional<FailingVfs::FileKind> FailingVfs::first_failure_on() const noexcept { return state_->first_failure_on; }
const char* FailingVfs::healthy_vfs_name() const noexcept { return state_->real->zName; }

std::string sqlite_code_name(int code) {
  switch (code) {
    case SQLITE_FULL: return "SQLITE_FULL";
    case SQLITE_IOERR_WRITE: return "SQLITE_IOERR_WRITE";
    default: return "SQLite code " + std::to_string(code);
  }
}

}  // namespace outreach::testing
