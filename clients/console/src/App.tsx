import { Alert } from '@mantine/core';
import { Route, Routes } from 'react-router';
import { lazyPage as page } from './components/lazy-page';
import { AppLayout } from './layout/AppLayout';
import { SignInPage } from './pages/SignInPage';
import { useSession } from './session/session.context';

const OverviewPage = page(() => import('./pages/OverviewPage'), 'OverviewPage');
const AgentsPage = page(() => import('./pages/AgentsPage'), 'AgentsPage');
const AgentCreatePage = page(() => import('./pages/AgentCreatePage'), 'AgentCreatePage');
const AgentPage = page(() => import('./pages/AgentPage'), 'AgentPage');
const TasksPage = page(() => import('./pages/TasksPage'), 'TasksPage');
const TaskPage = page(() => import('./pages/TaskPage'), 'TaskPage');
const ApprovalsPage = page(() => import('./pages/ApprovalsPage'), 'ApprovalsPage');
const AuditPage = page(() => import('./pages/AuditPage'), 'AuditPage');
const CommandBarPage = page(() => import('./pages/CommandBarPage'), 'CommandBarPage');
const KnowledgePage = page(() => import('./pages/KnowledgePage'), 'KnowledgePage');
const ContextPage = page(() => import('./pages/ContextPage'), 'ContextPage');
const GovernancePage = page(() => import('./pages/GovernancePage'), 'GovernancePage');

function PageNotFound() {
  return <Alert title="Page not found">There is no page at this address.</Alert>;
}

export function App() {
  const { signedIn } = useSession();
  if (!signedIn) return <SignInPage />;
  return (
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={<OverviewPage />} />
        <Route path="agents" element={<AgentsPage />} />
        <Route path="agents/new" element={<AgentCreatePage />} />
        <Route path="agents/:id" element={<AgentPage />} />
        <Route path="tasks" element={<TasksPage />} />
        <Route path="tasks/:id" element={<TaskPage />} />
        <Route path="approvals" element={<ApprovalsPage />} />
        <Route path="audit" element={<AuditPage />} />
        <Route path="commands" element={<CommandBarPage />} />
        <Route path="knowledge" element={<KnowledgePage />} />
        <Route path="context" element={<ContextPage />} />
        <Route path="governance" element={<GovernancePage />} />
        <Route path="*" element={<PageNotFound />} />
      </Route>
    </Routes>
  );
}
