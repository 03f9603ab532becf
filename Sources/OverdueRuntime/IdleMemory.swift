import Foundation

/// Gives back the heap a tick freed before the daemon idles until the next one.
///
/// glibc's `free` keeps freed memory inside the heap for reuse, and returns it to the kernel
/// only from the heap's top; a tick's freed messages and rows below a block still in use stay
/// resident (and count in RssAnon) until the next tick reuses them. `malloc_trim` returns the
/// whole free pages wherever they lie.
public enum IdleMemory {
    public static func release() {
        _ = mallocTrim(0)
    }
}

/// glibc's `malloc_trim` (in `<malloc.h>`, which the Glibc module does not export): returns
/// freed heap memory to the kernel.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
