pub fn upload(data: &[u8]) -> Result<(), String> {
    // TODO(ABC-123): retry on failure
    send(data)
}
