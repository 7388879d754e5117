#include "engine/ucx/ucx_memory.h"

#include <string>

#include "engine/memory/numa.h"

namespace te::engine::ucx {
namespace {

constexpr const char* kAllocated = "ucp_mem_map ALLOCATE";

// Wraps `memh` so that it is unmapped once, after its last user, while the context lives.
SharedMem share(const SharedContext& context, ucp_mem_h memh) {
  return SharedMem(memh, [context](ucp_mem_h m) { (void)ucp_mem_unmap(context.get(), m); });
}

// ucp_mem_map of host memory: [addr, addr + length) registered, or (ALLOCATE, addr null)
// `length` bytes allocated by UCX.
Result<SharedMem> mapMemory(const SharedContext& context, void* addr, size_t length, unsigned flags,
                            ucs_memory_type_t type, const std::string& what) {
  ucp_mem_map_params_t params{};
  params.field_mask = UCP_MEM_MAP_PARAM_FIELD_ADDRESS | UCP_MEM_MAP_PARAM_FIELD_LENGTH |
                      UCP_MEM_MAP_PARAM_FIELD_FLAGS | UCP_MEM_MAP_PARAM_FIELD_MEMORY_TYPE;
  params.address = addr;
  params.length = length;
  params.flags = flags;
  params.memory_type = type;
  ucp_mem_h memh = nullptr;
  ucs_status_t s = ucp_mem_map(context.get(), &params, &memh);
  if (s != UCS_OK) return ucxError(what, s);
  return share(context, memh);
}

}  // namespace

Result<SharedMem> registerHostMemory(const SharedContext& context, void* addr, size_t length) {
  return mapMemory(context, addr, length, 0, UCS_MEMORY_TYPE_HOST, "ucp_mem_map of " + std::to_string(length) + " bytes");
}

Result<SharedMem> registerCudaMemory(const SharedContext& context, void* addr, size_t length) {
  ucp_context_attr_t attr{};
  attr.field_mask = UCP_ATTR_FIELD_MEMORY_TYPES;
  if (ucp_context_query(context.get(), &attr) == UCS_OK && !(attr.memory_types & UCS_BIT(UCS_MEMORY_TYPE_CUDA))) {
    return unavailable("ucx: this UCX has no CUDA memory support (its cuda module is missing: Debian's libucx "
                       "is built without CUDA), so VRAM cannot be registered; use --transport verbs or tcp");
  }
  return mapMemory(context, addr, length, 0, UCS_MEMORY_TYPE_CUDA,
                   "ucp_mem_map of " + std::to_string(length) + " bytes of CUDA memory");
}

Result<std::unique_ptr<UcxBuffer>> UcxBuffer::allocate(const SharedContext& context, size_t length, int numa_node) {
  if (length == 0) return invalidArgument("buffer length is 0");
  if (numa_node >= 0) TE_RETURN_IF_ERROR(checkNumaNode(numa_node));
  std::string what = std::string(kAllocated) + " of " + std::to_string(length) + " bytes";
  TE_ASSIGN_OR_RETURN(SharedMem memh, mapMemory(context, nullptr, length, UCP_MEM_MAP_ALLOCATE, UCS_MEMORY_TYPE_HOST, what));
  ucp_mem_attr_t attr{};
  attr.field_mask = UCP_MEM_ATTR_FIELD_ADDRESS | UCP_MEM_ATTR_FIELD_LENGTH;
  ucs_status_t s = ucp_mem_query(memh.get(), &attr);
  if (s != UCS_OK) return ucxError("ucp_mem_query after " + what, s);
  if (attr.length < length) {
    return internalError(what + " returned only " + std::to_string(attr.length) + " bytes");
  }
  std::string note;
  int node = -1;
  if (numa_node >= 0) {
    Status bound = bindMemoryToNumaNode(attr.address, attr.length, numa_node);
    if (bound.isOk()) {
      node = numa_node;
    } else {
      note = bound.message() + "; pages not bound";
    }
  }
  return std::unique_ptr<UcxBuffer>(new UcxBuffer(std::move(memh), static_cast<uint8_t*>(attr.address), length,
                                                  attr.length, node, std::move(note)));
}

nlohmann::json UcxBuffer::describe() const {
  nlohmann::json j = {{"kind", "dram"},     {"bytes", length_},    {"mapped_bytes", mapped_},
                      {"memory", kAllocated}, {"numa_node", numa_node_}};
  if (!numa_note_.empty()) j["numa_note"] = numa_note_;
  return j;
}

void AllocatedBuffers::add(const UcxBuffer& buffer) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [](const Entry& e) { return e.memh.expired(); });
  entries_.push_back({buffer.data(), buffer.length(), buffer.memh()});
}

SharedMem AllocatedBuffers::find(const void* addr, size_t length) const {
  const auto* p = static_cast<const uint8_t*>(addr);
  std::lock_guard lock(mu_);
  for (const Entry& e : entries_) {
    if (p >= e.base && p < e.base + e.length && length <= static_cast<size_t>(e.base + e.length - p)) {
      if (SharedMem m = e.memh.lock()) return m;
    }
  }
  return nullptr;
}

}  // namespace te::engine::ucx
