/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symname.h - one spelling for a Rust function's path, whatever the symbol
 * mangling (legacy or v0) and the compiler version.
 *
 * The same function demangles differently under the two manglings:
 *   legacy  async_task::raw::RawTask<F,T,S>::run
 *   v0      <async_task::raw::RawTask<F, T, S, M>>::run
 *   legacy  tokio::runtime::task::raw::poll
 *   v0      tokio::runtime::task::raw::poll::<zoo::hog::{closure#0}, ...>
 *   legacy  tokio::runtime::task::harness::Harness<T,S>::poll::{{closure}}
 *   v0      <tokio::runtime::task::harness::Harness<F, S>>::poll::{closure#0}
 * and runtime versions add type parameters (RawTask<F, T, S, M> since
 * async-task 4.4). Profiles match on the normalised path instead:
 *   async_task::raw::RawTask::run
 *   tokio::runtime::task::raw::poll
 *   tokio::runtime::task::harness::Harness::poll::{closure}
 *
 * The rules, applied to the output of libiberty's cplus_demangle()
 * with DMGL_RUST (see cat_demangle() in symbols.h; never hand-demangled):
 *  - a generic argument list is dropped: "<...>" right after a name
 *    (Foo<T>, drop_in_place<T>) and the v0 turbofish "::<...>";
 *  - a qualified path "<A as B>" keeps its brackets, A and B normalised;
 *    an inherent impl "<A>::f" (v0) becomes "A::f" when A is a path, so
 *    that it reads like the legacy spelling;
 *  - a legacy impl segment "a::b::<impl Tr for Ty>::f" becomes v0's
 *    "<Ty as Tr>::f" ("<impl Ty>::f": "<Ty>::f", then as above). Legacy
 *    names a blanket impl by its parameter (<impl Tr for F>: <F as Tr>)
 *    where v0 names the type: such trait-impl paths still differ;
 *  - "{{closure}}" (legacy) and "{closure#N}" (v0; also "{shim:vtable#N}",
 *    DWARF's "{impl#N}", ...) become "{closure}" ("{shim:vtable}", ...);
 *    a const item's body, legacy "{{constant}}" and v0 "{K#N}", becomes
 *    "{constant}";
 *  - v0 crate disambiguators "[<hex>]" after a name (cplus_demangle with
 *    DMGL_VERBOSE and c++filt print them), a trailing legacy hash
 *    "::h<16 hex>" and a "for<'a> " binder are dropped.
 * A malformed name (unbalanced brackets) is copied from the first bracket
 * that does not close, so nothing is lost.
 */
#ifndef CAT_SYMNAME_H
#define CAT_SYMNAME_H

#include <stddef.h>

/*
 * The normalised path of @demangled (see above), malloc()ed; NULL only
 * when out of memory.
 */
char *cat_symname_path(const char *demangled);

#endif /* CAT_SYMNAME_H */
