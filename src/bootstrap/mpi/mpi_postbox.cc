#include "bootstrap/mpi/mpi_postbox.h"

#include <climits>
#include <string>

namespace te::bootstrap {

void MpiPostbox::drop() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) {
    for (Sending& s : sending_) MPI_Request_free(&s.request);
  }
  sending_.clear();
}

void MpiPostbox::reap() {
  while (!sending_.empty()) {
    int done = 0;
    if (MPI_Test(&sending_.front().request, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS || !done) return;
    sending_.pop_front();
  }
}

Status MpiPostbox::post(int to, int channel, Bytes data) {
  if (channel < 0 || channel >= Bootstrap::kChannels) return internalError("post: channel " + std::to_string(channel));
  if (data.size() > static_cast<size_t>(INT_MAX)) return internalError("post: a message over 2 GiB");
  reap();
  sending_.push_back({MPI_REQUEST_NULL, std::move(data)});
  Sending& s = sending_.back();
  const int rc = MPI_Isend(s.data.data(), static_cast<int>(s.data.size()), MPI_BYTE, to, first_tag_ + channel,
                           MPI_COMM_WORLD, &s.request);
  if (rc != MPI_SUCCESS) {
    sending_.pop_back();
    return unavailable("MPI_Isend to rank " + std::to_string(to) + " failed");
  }
  return Status::ok();
}

Result<std::optional<Bootstrap::Message>> MpiPostbox::receive(int from, int channel) {
  if (channel < 0 || channel >= Bootstrap::kChannels) return internalError("receive: channel " + std::to_string(channel));
  reap();
  int flag = 0;
  MPI_Status st;
  const int tag = first_tag_ + channel;
  if (MPI_Iprobe(from < 0 ? MPI_ANY_SOURCE : from, tag, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS) {
    return unavailable("MPI_Iprobe failed");
  }
  if (!flag) return std::optional<Bootstrap::Message>();
  int count = 0;
  MPI_Get_count(&st, MPI_BYTE, &count);
  Bootstrap::Message m;
  m.from = st.MPI_SOURCE;
  m.data.resize(static_cast<size_t>(count));
  if (MPI_Recv(m.data.data(), count, MPI_BYTE, st.MPI_SOURCE, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
    return unavailable("MPI_Recv from rank " + std::to_string(st.MPI_SOURCE) + " failed");
  }
  return std::optional<Bootstrap::Message>(std::move(m));
}

}  // namespace te::bootstrap
