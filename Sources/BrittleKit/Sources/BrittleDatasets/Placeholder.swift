// Placeholder (lead): keeps the kit building until this module has its first file; delete then.
