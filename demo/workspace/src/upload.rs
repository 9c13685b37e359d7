pub fn upload(data: &[u8]) -> Result<(), String> {
    // ABC-123: uploads are not retried on failure yet (the demo work item)
    send(data)
}
